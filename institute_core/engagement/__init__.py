"""Student feedback with offline sentiment, and rewards and penalties with appeals."""
