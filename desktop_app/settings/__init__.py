"""This desktop's settings: the store (no Qt, read at start-up) and the settings dialog."""
