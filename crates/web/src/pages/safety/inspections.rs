//! Pages of checklists, inspections and hazards.
