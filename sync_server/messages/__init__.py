"""Sending the messages desks queue (issue 19): provider adapters, the dispatcher that claims
queued messages with FOR UPDATE SKIP LOCKED, and their settings (credentials live here only)."""
