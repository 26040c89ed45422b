"""`jobsimport demo`: the whole system offline, with local stand-ins and a sample file dropped in.

Demo state is kept apart from real state: its own embedded database under `.jobsimport/demo/`
(DATABASE_URL is ignored) and its own upload folder `uploads-demo/`.
"""

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import click

from jobsimport_dagster.cli.server_record import recorded_server
from jobsimport_dagster.settings import Settings
from jobsimport_dagster.standins.catalogue import DEFAULT_TOKEN
from jobsimport_dagster.standins.omdb import DEFAULT_API_KEY
from jobsimport_dagster.system import serve, start

SAMPLE = Path(__file__).with_name("demo_diary.csv")
# The sample's one title the stand-ins do not know (OMDb lists the film as `Amélie`): the row
# fails `not_found`, and filling in its `IMDb ID` in the failed-rows CSV imports it.
UNKNOWN_TITLES = ("The Fabulous Destiny of Amélie Poulain",)
FIX_IMDB_ID = "tt0211915"


def demo_settings(settings: Settings, urls: dict[str, str] | None = None) -> Settings:
    """The real settings pointed at the demo's own database, folder and stand-ins (`urls`);
    without `urls`, only at its database and folder (what `--demo` on a command needs)."""
    places = dataclasses.replace(
        settings,
        database_url=None,
        dagster_pg_url=None,
        state_dir=settings.project_root / ".jobsimport" / "demo",
        upload_dir=settings.project_root / "uploads-demo",
    )
    if urls is None:
        return places
    return dataclasses.replace(
        places,
        omdb_base_url=urls["omdb"],
        omdb_api_key=DEFAULT_API_KEY,
        imdb_api_url=urls["imdb"],
        ashishdotme_api_url=urls["catalogue"],
        ashishdotme_token=DEFAULT_TOKEN,
    )


def demo_environ(settings: Settings) -> dict[str, str]:
    """The variables every process of the demo sees (stand-in keys are not secrets)."""
    return {
        "OMDB_BASE_URL": settings.omdb_base_url,
        "OMDB_API_KEY": settings.omdb_api_key or "",
        "IMDB_API_URL": settings.imdb_api_url,
        "ASHISHDOTME_API_URL": settings.ashishdotme_api_url,
        "ASHISHDOTME_TOKEN": settings.ashishdotme_token or "",
    }


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=3000, show_default=True, type=int)
def demo_command(host: str, port: int) -> None:
    """Run everything offline: stand-ins for OMDb, IMDb and api.ashish.me, a sample import."""
    standins = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jobsimport_dagster.standins",
            *(f"--not-found={title}" for title in UNKNOWN_TITLES),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert standins.stdout is not None
        urls = json.loads(standins.stdout.readline())
        settings = demo_settings(Settings.from_env(), urls)
        os.environ.pop("DATABASE_URL", None)
        os.environ.pop("DAGSTER_PG_URL", None)
        os.environ.update(demo_environ(settings))
        env, _ = start(settings)
        target = settings.upload_dir / "movies" / SAMPLE.name
        shutil.copyfile(SAMPLE, target.with_name(f".{target.name}.part"))
        os.replace(target.with_name(f".{target.name}.part"), target)
        click.echo(f"demo: stand-ins at {urls}; sample dropped into {target}")
        click.echo(f"Dagster UI on http://{host}:{port}")
        click.echo(f"Import console on http://{host}:{port}/imports  (upload: /upload)")
        with recorded_server(settings, host=host, port=port):
            code = serve(env, settings, host=host, port=port)
    finally:
        standins.terminate()
        standins.wait()
    raise SystemExit(code)
