//! Pages of recurring duties, elevators, e-bikes, emergency plans and drills.
