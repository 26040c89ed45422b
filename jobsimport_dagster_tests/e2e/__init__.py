"""End-to-end tests: the real system, started as a user starts it."""
