"""Alembic migrations of schema `jobsimport`."""
