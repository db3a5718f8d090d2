"""The student and guardian portal (issue 20): HTML pages under /portal, served by the sync
server, reading PostgreSQL through the sync read scopes (see docs/portal.md)."""
