"""The dashboard section: the institute (or a faculty member's students) at a glance."""
