"""A rights request from intake to its answer: lifecycle, intake, verification, decisions,
execution, and one handler per request type."""
