//! Recurring duties, elevators, tanks, e-bikes, emergency plans, trainings and drills.
