"""`jobsimport submit`: validate a file as `validate` does, then drop it into the watched folder."""

import os
import shutil
import tempfile
from itertools import chain, count
from pathlib import Path

import click

from jobsimport_dagster.cli.validate import (
    EXIT_REJECTED,
    check_upload,
    echo_rejected,
    echo_summary,
    file_argument,
    type_option,
)
from jobsimport_dagster.errors import FileRejected
from jobsimport_dagster.settings import Settings


def free_name(folder: Path, name: str) -> Path:
    """`name` in `folder`, or `<stem>-2<suffix>`, `-3`… when taken: a submit never overwrites."""
    stem, suffix = Path(name).stem, Path(name).suffix
    names = chain([name], (f"{stem}-{n}{suffix}" for n in count(2)))
    return next(folder / n for n in names if not (folder / n).exists())


def copy_into(source: Path, folder: Path) -> Path:
    """Copy the file into `folder` atomically and return where it landed.

    The bytes go to a hidden `.<name>.*.part` file, which the sensor ignores, and are renamed
    into place in one step, so the sensor never sees a half-written file.
    """
    folder.mkdir(parents=True, exist_ok=True)
    handle, part_name = tempfile.mkstemp(dir=folder, prefix=f".{source.name}.", suffix=".part")
    part = Path(part_name)
    try:
        with os.fdopen(handle, "wb") as part_file, source.open("rb") as source_file:
            shutil.copyfileobj(source_file, part_file)
        target = free_name(folder, source.name)
        os.replace(part, target)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return target


@click.command("submit")
@file_argument
@type_option
@click.option("--dry-run", is_flag=True, help="Import into the dry-run folder: nothing is sent.")
def submit_command(file: Path, import_type: str, dry_run: bool) -> None:
    """Validate FILE, then copy it into the watched folder for the sensor to import.

    Prints the same summary as `validate`. A rejected file is not copied (exit 2); a file with
    invalid rows is, and those rows end `failed` in the import.
    """
    settings = Settings.from_env()
    try:
        report = check_upload(file, import_type, settings)
    except FileRejected as rejected:
        echo_rejected(rejected)
        raise SystemExit(EXIT_REJECTED) from None
    echo_summary(report)
    folder = settings.upload_dir / import_type
    target = copy_into(file, folder / "dry-run" if dry_run else folder)
    click.echo(f"submitted: {target}")
