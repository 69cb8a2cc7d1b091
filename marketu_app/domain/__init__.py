"""Pure domain code: no Reflex, no SQL."""
