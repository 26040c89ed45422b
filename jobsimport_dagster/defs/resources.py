"""Resources: Postgres and the upload folder, configured from the environment (SPEC §3)."""

from pathlib import Path

import dagster as dg
import sqlalchemy as sa

from jobsimport_dagster.db.engine import engine_for, resolve_database_url
from jobsimport_dagster.settings import Settings


class DatabaseResource(dg.ConfigurableResource):
    """Postgres for the import tables: `url`, else DATABASE_URL, else the embedded server."""

    url: str | None = None

    def get_engine(self) -> sa.Engine:
        return engine_for(self.url or resolve_database_url(Settings.from_env()))


class UploadFolderResource(dg.ConfigurableResource):
    """The watched folder and the size limit of a dropped file."""

    path: str
    max_upload_bytes: int

    @property
    def root(self) -> Path:
        return Path(self.path)

    def archive_path(self, partition_key: str) -> Path:
        """Where an accepted file lives for good (SPEC §4)."""
        return self.root / "archive" / f"{partition_key}.csv"


@dg.definitions
def resources() -> dg.Definitions:
    settings = Settings.from_env()
    return dg.Definitions(
        resources={
            "database": DatabaseResource(),
            "upload_folder": UploadFolderResource(
                path=str(settings.upload_dir), max_upload_bytes=settings.max_upload_bytes
            ),
        }
    )
