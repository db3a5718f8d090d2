"""Sync: hybrid clock, wire types, value codec, merge rules and scopes shared by both sides."""
