"""API keys: hashing, lookup and bootstrap."""
