"""Pages: each a function that lays out components over its state."""
