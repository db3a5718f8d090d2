"""Application services: what the desktop screens ask for and do, with no Qt.

Each module serves one screen or task. Reads return frozen dataclasses (value objects), never
live ORM objects, so the UI can hold them on any thread; every write goes through
`replica.write(actor)`, the one unit of work that records the change for sync.
"""
