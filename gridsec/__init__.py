"""Application wiring: the composition root, the command line, `simulate` and the scheduler."""
