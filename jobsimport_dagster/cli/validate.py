"""`jobsimport validate` and `jobsimport template`: the pipeline's own checks, offline."""

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import click

from jobsimport_dagster.codes import RowStatus
from jobsimport_dagster.errors import FileRejected
from jobsimport_dagster.intake.screen import screen_file
from jobsimport_dagster.models import RowOutcome
from jobsimport_dagster.settings import Settings
from jobsimport_dagster.sources.template import TEMPLATES
from jobsimport_dagster.steps.validate import check_file

IMPORT_TYPES = click.Choice(["movies", "shows"])
EXIT_VALID, EXIT_INVALID_ROWS, EXIT_REJECTED = 0, 1, 2


@dataclass(frozen=True)
class FileReport:
    """What validation found in a file the screen accepted."""

    source: str
    import_type: str
    rows: int
    failed: list[tuple[int | str, RowOutcome]]  # line as shown: `diary.csv:12` in a zip
    # rows the pipeline skips outright: Netflix lines that are not episodes (or not films),
    # trailers, other profiles; an export's watched films that its diary has
    skipped: int = 0

    @property
    def valid(self) -> int:
        return self.rows - len(self.failed) - self.skipped


def check_upload(path: Path, import_type: str, settings: Settings) -> FileReport:
    """Screen the file (a CSV or an export zip) as the watched folder does, then validate every
    row as a run does, with the Netflix profiles of `settings`.

    Raises `FileRejected` with the sentence the folder would write to `<name>.error.txt`.
    """
    adapter = screen_file(path, import_type=import_type, max_bytes=settings.max_upload_bytes)
    rows = skipped = 0
    failed: list[tuple[int | str, RowOutcome]] = []
    today = datetime.now(UTC).date()
    for checked in check_file(
        path, adapter, today=today, netflix_profiles=settings.netflix_profiles
    ):
        rows += len(checked.records)
        failed += checked.failed_lines()
        skipped += sum(o.status == RowStatus.SKIPPED for o in checked.outcomes.values())
    return FileReport(
        source=adapter.name, import_type=import_type, rows=rows, failed=failed, skipped=skipped
    )


def echo_summary(report: FileReport) -> None:
    click.echo(f"source: {report.source} ({report.import_type})")
    skipped = f", skipped: {report.skipped}" if report.skipped else ""
    click.echo(
        f"rows: {report.rows}, valid: {report.valid}, invalid: {len(report.failed)}{skipped}"
    )


def echo_rejected(rejected: FileRejected) -> None:
    click.echo(f"rejected: {rejected.reason}", err=True)


file_argument = click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
type_option = click.option(
    "--type", "import_type", type=IMPORT_TYPES, required=True, help="What the file holds."
)


@click.command("validate")
@file_argument
@type_option
def validate_command(file: Path, import_type: str) -> None:
    """Check FILE with the pipeline's own rules, without a database.

    FILE is a CSV or a whole Letterboxd or Netflix export zip (a row of a CSV inside a zip is
    on a line like diary.csv:12); a Netflix ViewingActivity.csv imports the profiles its name
    chooses (ViewingActivity-profile-NAME.csv) or JOBSIMPORT_NETFLIX_PROFILES names.
    Prints each bad row (line, code, message) and a summary. Exit 0: every row is valid;
    1: some rows are invalid; 2: the file is rejected as a whole.
    """
    try:
        report = check_upload(file, import_type, Settings.from_env())
    except FileRejected as rejected:
        echo_rejected(rejected)
        raise SystemExit(EXIT_REJECTED) from None
    for line, outcome in report.failed:
        click.echo(f"line {line}: {outcome.code}: {outcome.message}")
    echo_summary(report)
    raise SystemExit(EXIT_INVALID_ROWS if report.failed else EXIT_VALID)


@click.command("template")
@click.argument("import_type", type=IMPORT_TYPES)
def template_command(import_type: str) -> None:
    """Print the template CSV for movies or shows: its header and one example row.

    Letterboxd and Netflix exports need no template: drop their CSVs, or the whole export
    zip as downloaded, as they are.
    """
    adapter = TEMPLATES[import_type]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows((adapter.header, adapter.example_row))
    click.echo(buffer.getvalue(), nl=False)
