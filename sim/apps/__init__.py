"""Apps: the command line and the workshop, on top of every other layer."""
