"""`jobsimport submit`: the same summary as `validate`, then an atomic copy into the folder,
and a word on whether a running system watches that folder."""

import json
import os
import stat
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from jobsimport_dagster.cli.demo import demo_settings
from jobsimport_dagster.cli.server_record import recorded_server
from jobsimport_dagster.cli.submit import submit_command
from jobsimport_dagster.settings import Settings

TEMPLATE = "Title,Year,Watched Date,IMDb ID\nThe Matrix,1999,2024-05-01,tt0133093\n"


@pytest.fixture
def uploads(tmp_path: Path) -> Path:
    return tmp_path / "uploads"


def submit(uploads: Path, path: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        submit_command,
        [str(path), *args],
        env={"JOBSIMPORT_UPLOAD_DIR": str(uploads), "JOBSIMPORT_PROJECT_ROOT": str(uploads.parent)},
    )
    return result.exit_code, result.output


def write(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_submit_copies_a_real_export_into_the_movies_folder(
    sample_data: Path, uploads: Path
) -> None:
    source = sample_data / "letterboxd" / "extratone_diary_2024_crlf.csv"
    code, output = submit(uploads, source, "--type", "movies")
    target = uploads / "movies" / source.name
    assert (code, output) == (
        0,
        "source: letterboxd-diary (movies)\nrows: 317, valid: 317, invalid: 0\n"
        f"submitted: {target}\n"
        f"no running system watches {uploads}: start `jobsimport dev` to import it\n",
    )
    # byte for byte (CRLF kept), and no .part left behind for the sensor to trip on
    assert target.read_bytes() == source.read_bytes()
    assert files_in(uploads / "movies") == [source.name]


def test_submit_dry_run_goes_to_the_dry_run_folder(tmp_path: Path, uploads: Path) -> None:
    path = write(tmp_path, "shows.csv", "Show,Season,Started Date\nSeverance,2,2025-01-17\n")
    code, _ = submit(uploads, path, "--type", "shows", "--dry-run")
    assert code == 0
    assert files_in(uploads / "shows" / "dry-run") == ["shows.csv"]
    assert files_in(uploads / "shows") == ["dry-run"]


def test_submit_never_overwrites_a_file_already_there(tmp_path: Path, uploads: Path) -> None:
    path = write(tmp_path, "movies.csv", TEMPLATE)
    (uploads / "movies").mkdir(parents=True)
    (uploads / "movies" / "movies.csv").write_text("earlier", encoding="utf-8")
    (uploads / "movies" / "movies-2.csv").write_text("earlier too", encoding="utf-8")
    code, output = submit(uploads, path, "--type", "movies")
    assert code == 0
    assert f"submitted: {uploads / 'movies' / 'movies-3.csv'}\n" in output
    assert (uploads / "movies" / "movies.csv").read_text(encoding="utf-8") == "earlier"
    assert (uploads / "movies" / "movies-3.csv").read_text(encoding="utf-8") == TEMPLATE


def test_submit_copies_a_file_with_invalid_rows(tmp_path: Path, uploads: Path) -> None:
    # the import fails those rows; the file itself is fine
    path = write(tmp_path, "movies.csv", TEMPLATE + "Up,2009,2023-02-30,\n")
    code, output = submit(uploads, path, "--type", "movies")
    assert code == 0
    assert "rows: 2, valid: 1, invalid: 1\n" in output
    assert files_in(uploads / "movies") == ["movies.csv"]


def test_submit_does_not_copy_a_rejected_file(tmp_path: Path, uploads: Path) -> None:
    path = write(tmp_path, "watchlist.csv", "Date,Name,Year,Letterboxd URI\n2024-01-01,Up,2009,x\n")
    code, output = submit(uploads, path, "--type", "movies")
    assert code == 2
    assert output.startswith("rejected: watchlist.csv is a Letterboxd watchlist")
    assert files_in(uploads / "movies") == []


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_submitted_file_is_readable_as_the_umask_allows(
    tmp_path: Path, uploads: Path, umask: int, mode: int
) -> None:
    path = write(tmp_path, "movies.csv", TEMPLATE)
    previous = os.umask(umask)
    try:
        code, _ = submit(uploads, path, "--type", "movies")
    finally:
        os.umask(previous)
    assert code == 0
    assert stat.S_IMODE((uploads / "movies" / "movies.csv").stat().st_mode) == mode


def test_submit_demo_goes_to_the_demo_folder(tmp_path: Path, uploads: Path) -> None:
    path = write(tmp_path, "movies.csv", TEMPLATE)
    code, output = submit(uploads, path, "--type", "movies", "--demo")
    demo_folder = tmp_path / "uploads-demo"
    assert code == 0
    assert files_in(demo_folder / "movies") == ["movies.csv"]
    assert files_in(uploads) == []
    assert output.endswith(
        f"submitted: {demo_folder / 'movies' / 'movies.csv'}\n"
        f"no running system watches {demo_folder}: start `jobsimport demo` to import it\n"
    )


class _SensorState(BaseHTTPRequestHandler):
    """Answers Dagster's sensor query the way a running webserver does."""

    status = "RUNNING"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        state = {"__typename": "Sensor", "sensorState": {"status": self.status}}
        body = json.dumps({"data": {"sensorOrError": state}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def webserver() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SensorState)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def _settings(uploads: Path) -> Settings:
    return Settings.from_env({"JOBSIMPORT_UPLOAD_DIR": str(uploads)}, project_root=uploads.parent)


@pytest.mark.parametrize(
    ("sensor", "note"),
    [
        ("RUNNING", "upload_sensor takes the file within two sensor intervals (20 s)"),
        ("STOPPED", "but upload_sensor is stopped: turn it on in the UI (Automation)"),
    ],
)
def test_submit_says_the_running_system_watches_the_folder(
    tmp_path: Path,
    uploads: Path,
    webserver: ThreadingHTTPServer,
    monkeypatch: pytest.MonkeyPatch,
    sensor: str,
    note: str,
) -> None:
    monkeypatch.setattr(_SensorState, "status", sensor)
    path = write(tmp_path, "movies.csv", TEMPLATE)
    port = webserver.server_address[1]
    with recorded_server(_settings(uploads), host="0.0.0.0", port=port):
        code, output = submit(uploads, path, "--type", "movies")
    assert code == 0
    last = output.splitlines()[-1]
    assert last.startswith(f"the system at http://127.0.0.1:{port} watches {uploads}")
    assert note in last


def test_submit_says_when_the_running_system_watches_another_folder(
    tmp_path: Path, uploads: Path
) -> None:
    path = write(tmp_path, "movies.csv", TEMPLATE)
    elsewhere = tmp_path / "elsewhere"
    with recorded_server(_settings(elsewhere), host="127.0.0.1", port=3999):
        # the record lives in the project's state folder, whatever folder the system watches
        code, output = submit(uploads, path, "--type", "movies")
    assert code == 0
    assert output.splitlines()[-1] == (
        f"the system running at http://127.0.0.1:3999 watches {elsewhere}, not {uploads}: "
        "submit with its JOBSIMPORT_UPLOAD_DIR, or move the file there"
    )


def test_submit_points_at_the_running_demo(tmp_path: Path, uploads: Path) -> None:
    path = write(tmp_path, "movies.csv", TEMPLATE)
    with recorded_server(demo_settings(_settings(uploads)), host="127.0.0.1", port=3310):
        code, output = submit(uploads, path, "--type", "movies")
    assert code == 0
    assert output.splitlines()[-1] == (
        f"no running system watches {uploads}: start `jobsimport dev` to import it "
        "(`jobsimport demo` is running: add --demo to submit to it instead)"
    )


def test_a_record_left_by_a_dead_system_is_ignored(tmp_path: Path, uploads: Path) -> None:
    path = write(tmp_path, "movies.csv", TEMPLATE)
    record = tmp_path / ".jobsimport" / "server.json"
    record.parent.mkdir(parents=True)
    dead_pid = 2**22 + 1  # above Linux's pid_max: no process has it
    record.write_text(
        json.dumps({"url": "http://127.0.0.1:3000", "upload_dir": str(uploads), "pid": dead_pid}),
        encoding="utf-8",
    )
    code, output = submit(uploads, path, "--type", "movies")
    assert code == 0
    assert output.splitlines()[-1].startswith(f"no running system watches {uploads}")
