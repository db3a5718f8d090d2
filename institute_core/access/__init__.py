"""Who may do what: the permission catalogue and roles as data (issue 17)."""
