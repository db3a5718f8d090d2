"""Branches of one institute (issue 17): which branch a new row belongs to, managing branches,
assigning people and batches to them, transfers, and per-branch figures."""
