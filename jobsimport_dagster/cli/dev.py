"""`jobsimport dev`: migrate, clean up after a dead process, serve the UI and run the daemon."""

import click

from jobsimport_dagster.cli.server_record import recorded_server
from jobsimport_dagster.settings import Settings
from jobsimport_dagster.system import serve, start


@click.command("dev")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=3000, show_default=True, type=int)
def dev_command(host: str, port: int) -> None:
    """Run the whole system: web UI + daemon, sensor on."""
    settings = Settings.from_env()
    env, failed = start(settings)
    if failed:
        click.echo(f"marked {len(failed)} run(s) left STARTED by a dead process as failed")
    click.echo(f"Dagster UI on http://{host}:{port}  (uploads: {env.upload_dir})")
    click.echo(f"Import console on http://{host}:{port}/imports  (upload: /upload)")
    with recorded_server(settings, host=host, port=port):
        code = serve(env, settings, host=host, port=port)
    raise SystemExit(code)
