"""Customer authentication: password hashing, sessions, sign-in rate limits."""
