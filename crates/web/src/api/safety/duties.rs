//! API of duties, elevators, e-bikes, plans and drills.
