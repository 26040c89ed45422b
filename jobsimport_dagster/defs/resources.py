"""Resources: Postgres and the upload folder, configured from the environment (SPEC §3)."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import sqlalchemy as sa
from pydantic import Field

from jobsimport_dagster.clients.catalogue import CatalogueClient
from jobsimport_dagster.clients.http import HttpPolicy
from jobsimport_dagster.clients.imdb import ImdbClient
from jobsimport_dagster.clients.omdb import OmdbClient
from jobsimport_dagster.db.engine import engine_for, resolve_database_url
from jobsimport_dagster.intake.folders import find_archive
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
        """Where an accepted file lives for good (SPEC §4): its `.csv`, or `.zip`."""
        return find_archive(self.root, partition_key)


class PipelineResource(dg.ConfigurableResource):
    """How many rows one run keeps in flight (enrich + insert), and which Netflix profiles a
    `ViewingActivity.csv` imports when its file name chooses none."""

    concurrency: int = 8
    netflix_profiles: list[str] = Field(default_factory=list)


class OmdbResource(dg.ConfigurableResource):
    """OMDb: the key comes from the environment only; the budget is counted per UTC day.

    `clock_shift_days` moves the budget's day (tests of "the next day's run").
    """

    base_url: str
    api_key: str | None = None
    daily_budget: int = 1000
    requests_per_second: float = 20.0
    timeout_seconds: float = 20.0
    clock_shift_days: int = 0

    def client(self) -> OmdbClient:
        return OmdbClient(
            self.base_url,
            self.api_key,
            policy=HttpPolicy(read_timeout=self.timeout_seconds),
            requests_per_second=self.requests_per_second,
        )

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(days=self.clock_shift_days)


class ImdbResource(dg.ConfigurableResource):
    base_url: str
    timeout_seconds: float = 20.0

    def client(self) -> ImdbClient:
        return ImdbClient(self.base_url, policy=HttpPolicy(read_timeout=self.timeout_seconds))


class CatalogueResource(dg.ConfigurableResource):
    """api.ashish.me; the token (header `apiKey`) comes from the environment only."""

    base_url: str
    token: str | None = None
    timeout_seconds: float = 20.0

    def client(self) -> CatalogueClient:
        return CatalogueClient(
            self.base_url, self.token, policy=HttpPolicy(read_timeout=self.timeout_seconds)
        )


def _secret(name: str, value: str | None) -> dg.EnvVar | None:
    """An EnvVar, so the secret never lands in run config; None when it is not set."""
    return dg.EnvVar(name) if value else None


@dg.definitions
def resources() -> dg.Definitions:
    settings = Settings.from_env()
    return dg.Definitions(
        resources={
            "database": DatabaseResource(),
            "upload_folder": UploadFolderResource(
                path=str(settings.upload_dir), max_upload_bytes=settings.max_upload_bytes
            ),
            "pipeline": PipelineResource(
                concurrency=settings.concurrency,
                netflix_profiles=list(settings.netflix_profiles),
            ),
            "omdb": OmdbResource(
                base_url=settings.omdb_base_url,
                api_key=_secret("OMDB_API_KEY", settings.omdb_api_key),
                daily_budget=settings.omdb_daily_budget,
                requests_per_second=settings.omdb_requests_per_second,
            ),
            "imdb": ImdbResource(base_url=settings.imdb_api_url),
            "catalogue": CatalogueResource(
                base_url=settings.ashishdotme_api_url,
                token=_secret("ASHISHDOTME_TOKEN", settings.ashishdotme_token),
            ),
        }
    )
