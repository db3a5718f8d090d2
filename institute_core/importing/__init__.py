"""Bringing spreadsheets in: read CSV/xlsx, map columns, validate every row, import, undo, export.

The steps, each its own module: `reading` (a file to header + rows of text), `fields` (what
each kind of import can fill, and how a cell becomes a value), `mapping` (which column fills
which field, guessed from the headers), `plan` (validate every row against the replica: a
create, an update, unchanged or refused with reasons), `apply` (one transaction, recorded as an
import run), `undo` and `export`.
"""
