"""Sync endpoints: device registration, push (merge) and pull (scoped pages)."""
