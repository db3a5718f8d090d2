"""Sign-in: passwords, revocable sessions, signed access tokens."""
