"""The audit trail: what the unit of work records with every change, and how admins read it."""
