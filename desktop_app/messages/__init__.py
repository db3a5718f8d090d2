"""Messages on the desk (issue 19): a student's guardians and the messages sent about them."""
