"""`jobsimport submit`: validate a file as `validate` does, then drop it into the watched folder."""

import os
import secrets
import shutil
from pathlib import Path

import click

from jobsimport_dagster.cli.demo import demo_settings
from jobsimport_dagster.cli.reach import command_settings, demo_option, what_to_start
from jobsimport_dagster.cli.server_record import ServerRecord, read_server_record
from jobsimport_dagster.cli.validate import (
    EXIT_REJECTED,
    check_upload,
    echo_rejected,
    echo_summary,
    file_argument,
    type_option,
)
from jobsimport_dagster.clients.dagster_graphql import DagsterGraphQLClient
from jobsimport_dagster.errors import DagsterApiError, FileRejected
from jobsimport_dagster.intake.folders import place_new
from jobsimport_dagster.settings import Settings

SENSOR_CHECK_TIMEOUT_SECONDS = 5


def copy_into(source: Path, folder: Path) -> Path:
    """Copy the file into `folder` atomically and return where it landed.

    The bytes go to a hidden `.<name>.<random>.part` file, which the sensor ignores, and are
    placed under the first free name in one step (`place_new`: `-2`, `-3`… when taken), so
    the sensor never sees a half-written file and nothing is overwritten. The file is
    created with mode 0666 less the umask (0644 usually), as any file the user copies.
    """
    folder.mkdir(parents=True, exist_ok=True)
    part = folder / f".{source.name}.{secrets.token_hex(6)}.part"
    handle = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(handle, "wb") as part_file, source.open("rb") as source_file:
            shutil.copyfileobj(source_file, part_file)
        return place_new(part, folder, source.name)
    except BaseException:
        part.unlink(missing_ok=True)
        raise


def sensor_status(record: ServerRecord, settings: Settings) -> str | None:
    """`upload_sensor`'s state on the running system, or None when it cannot be read."""
    client = DagsterGraphQLClient(
        record.url, settings.ui_token, timeout=SENSOR_CHECK_TIMEOUT_SECONDS
    )
    try:
        return client.sensor_status()
    except DagsterApiError:
        return None
    finally:
        client.close()


def watch_note(settings: Settings, *, demo: bool) -> str:
    """One sentence: whether a running system watches the folder the file went into."""
    folder = settings.upload_dir
    record = read_server_record(settings)
    if record is None:
        note = f"no running system watches {folder}: start {what_to_start(demo=demo)} to import it"
        if not demo and read_server_record(demo_settings(settings)) is not None:
            note += " (`jobsimport demo` is running: add --demo to submit to it instead)"
        return note
    if record.upload_dir.resolve() != folder.resolve():
        return (
            f"the system running at {record.url} watches {record.upload_dir}, not {folder}: "
            "submit with its JOBSIMPORT_UPLOAD_DIR, or move the file there"
        )
    status = sensor_status(record, settings)
    if status is None:
        return f"the system at {record.url} watches {folder} but did not answer just now"
    if status != "RUNNING":
        return (
            f"the system at {record.url} watches {folder}, but upload_sensor is {status.lower()}: "
            "turn it on in the UI (Automation) to import the file"
        )
    return (
        f"the system at {record.url} watches {folder}: upload_sensor takes the file within two "
        f"sensor intervals ({2 * settings.sensor_interval} s)"
    )


@click.command("submit")
@file_argument
@type_option
@click.option("--dry-run", is_flag=True, help="Import into the dry-run folder: nothing is sent.")
@demo_option
def submit_command(file: Path, import_type: str, dry_run: bool, demo: bool) -> None:
    """Validate FILE, then copy it into the watched folder for the sensor to import.

    Prints the same summary as `validate`. A rejected file is not copied (exit 2); a file with
    invalid rows is, and those rows end `failed` in the import.
    """
    settings = command_settings(demo=demo)
    try:
        report = check_upload(file, import_type, settings)
    except FileRejected as rejected:
        echo_rejected(rejected)
        raise SystemExit(EXIT_REJECTED) from None
    echo_summary(report)
    folder = settings.upload_dir / import_type
    target = copy_into(file, folder / "dry-run" if dry_run else folder)
    click.echo(f"submitted: {target}")
    click.echo(watch_note(settings, demo=demo))
