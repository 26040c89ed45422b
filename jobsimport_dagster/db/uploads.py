"""Files sent from the console (`uploads`): their options until the sensor takes them, then
the import each became."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlalchemy as sa

from jobsimport_dagster.db.tables import uploads


@dataclass(frozen=True)
class Upload:
    id: uuid.UUID
    folder: str
    file_name: str
    file_sha256: str
    skip_duplicates: bool
    partition_key: str | None


def record_upload(
    conn: sa.Connection, *, folder: str, file_name: str, file_sha256: str, skip_duplicates: bool
) -> uuid.UUID:
    """Note a file about to be placed in the watched folder `folder` (relative to the root)."""
    return conn.execute(
        uploads.insert()
        .values(
            folder=folder,
            file_name=file_name,
            file_sha256=file_sha256,
            skip_duplicates=skip_duplicates,
        )
        .returning(uploads.c.id)
    ).scalar_one()


def claim_upload(
    conn: sa.Connection, *, folder: str, file_name: str, file_sha256: str, partition_key: str
) -> Upload | None:
    """The waiting upload of exactly these bytes under this name, now marked as the import
    `partition_key`; None for a file dropped some other way (the folder's options hold)."""
    waiting = (
        sa.select(uploads.c.id)
        .where(
            uploads.c.folder == folder,
            uploads.c.file_name == file_name,
            uploads.c.file_sha256 == file_sha256,
            uploads.c.partition_key.is_(None),
        )
        .order_by(uploads.c.created_at)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    row = conn.execute(
        uploads.update()
        .where(uploads.c.id == waiting)
        .values(partition_key=partition_key)
        .returning(*uploads.c)
    ).first()
    return _upload(row) if row else None


def get_upload(conn: sa.Connection, upload_id: uuid.UUID) -> Upload | None:
    row = conn.execute(sa.select(uploads).where(uploads.c.id == upload_id)).first()
    return _upload(row) if row else None


def _upload(row: sa.Row) -> Upload:
    return Upload(
        id=row.id,
        folder=row.folder,
        file_name=row.file_name,
        file_sha256=row.file_sha256,
        skip_duplicates=row.skip_duplicates,
        partition_key=row.partition_key,
    )
