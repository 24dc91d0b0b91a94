"""What the scheduler talks to besides its store and the bus publisher: the dispatch lease."""
