"""Live updates: which tabs belong to whom, and pushing committed changes to them."""
