"""Postgres: SQLAlchemy Core tables, queries, embedded server and Alembic migrations."""
