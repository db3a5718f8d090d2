"""Bringing an institute in: people, syllabus and batches (services the setup screens call)."""
