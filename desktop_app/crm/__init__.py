"""The counselor's sections: Inquiries (capture, list, pipeline board, enroll) and Follow-ups."""
