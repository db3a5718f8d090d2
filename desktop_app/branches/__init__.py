"""Branches on the desk: the side-by-side figures and the Setup tab (issue 17)."""
