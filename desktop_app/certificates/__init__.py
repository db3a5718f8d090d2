"""The Certificates section (issue 20)."""
