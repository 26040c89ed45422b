"""Remembered match choices (SPEC §12): the IMDb ID a user gave for a source title + year or a
Letterboxd URI, reused by every later import of that title (verdict `remembered`).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

SCHEMA = "jobsimport"
NOW = sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "match_choices",
        sa.Column("import_type", sa.Text, primary_key=True),
        sa.Column("source_key", sa.Text, primary_key=True),
        sa.Column("imdb_id", sa.Text, nullable=False),
        sa.Column("chosen_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("match_choices", schema=SCHEMA)
