"""Messages that reach people (issue 19): templates, SMS length, quiet hours, contacts, the
queue a desk writes and the monthly report. Shared by desks and the sync server's dispatcher;
imports neither Qt nor the web framework."""
