"""Viewing claims: which import row holds each viewing before its POST (SPEC §7).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SCHEMA = "jobsimport"
NOW = sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "viewing_claims",
        sa.Column("claim_key", sa.Text, primary_key=True),
        sa.Column(
            "row_id",
            UUID(as_uuid=True),
            sa.ForeignKey(f"{SCHEMA}.import_rows.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "job_id",
            UUID(as_uuid=True),
            sa.ForeignKey(f"{SCHEMA}.import_jobs.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        schema=SCHEMA,
    )
    op.create_index("viewing_claims_row_id", "viewing_claims", ["row_id"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_table("viewing_claims", schema=SCHEMA)
