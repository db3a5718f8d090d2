"""Certificates (issue 20): templates, issuing by hand or by rule, revoking, the PDF."""
