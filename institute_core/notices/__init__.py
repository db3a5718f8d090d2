"""The notice board (announcements with read receipts) and staff notifications (issue 19)."""
