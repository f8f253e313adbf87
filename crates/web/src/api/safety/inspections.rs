//! API of templates, inspections and hazards.
