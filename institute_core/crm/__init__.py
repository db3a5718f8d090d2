"""The counselor desk's inquiry CRM: capture with duplicate checks, explainable lead scores,
follow-ups, pipeline moves, merges and conversion to an enrolled student. Plain functions over a
replica; every write goes through one unit of work and is refused to roles outside the CRM."""
