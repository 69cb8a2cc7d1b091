"""Demo data: two customers and their parcels, loaded through the operator API's write path."""
