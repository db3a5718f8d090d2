"""The notice board, the notifications bell and the administrators' announcements screen."""
