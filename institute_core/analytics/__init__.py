"""Learning analytics computed from a replica or the server database (no Qt, no web).

Import the submodules you need (`attendance`, `utilization`, `velocity`, `prediction`, `risk`,
`crm`); this package file stays light on purpose so importing it costs nothing.
"""
