//! Checklist templates, inspections, hazards, escalation and supervision orders.
