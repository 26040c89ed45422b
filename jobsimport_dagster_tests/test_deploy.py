"""`deploy/`: the compose file parses and describes the topology `e2e/test_topology.py` runs.

Docker is not run by the suite; this checks what can be checked without it: the services, the
shared upload volume, the commands and workspace the test uses too, SPEC §3's variables with
secrets taken from the environment, and the image carrying the repository's own instance config.
"""

import re

import pytest
import yaml

from jobsimport_dagster_tests.conftest import PROJECT_ROOT

DEPLOY = PROJECT_ROOT / "deploy"
SPEC_VARIABLES = {
    "DATABASE_URL",
    "DAGSTER_PG_URL",
    "JOBSIMPORT_UPLOAD_DIR",
    "OMDB_API_KEY",
    "OMDB_BASE_URL",
    "OMDB_DAILY_BUDGET",
    "OMDB_REQUESTS_PER_SECOND",
    "IMDB_API_URL",
    "ASHISHDOTME_API_URL",
    "ASHISHDOTME_TOKEN",
    "JOBSIMPORT_MAX_UPLOAD_BYTES",
    "JOBSIMPORT_CONCURRENCY",
    "JOBSIMPORT_SENSOR_INTERVAL",
}
SECRETS = ("OMDB_API_KEY", "ASHISHDOTME_TOKEN", "POSTGRES_PASSWORD")
INSTANCE_HOME = "/opt/dagster/home"


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def grpc_server() -> dict:
    workspace = yaml.safe_load((DEPLOY / "workspace.yaml").read_text(encoding="utf-8"))
    (entry,) = workspace["load_from"]
    return entry["grpc_server"]


def test_compose_names_the_services_and_the_shared_upload_volume(compose: dict) -> None:
    services = compose["services"]
    assert set(services) == {"postgres", "migrate", "code-location", "webserver", "daemon"}
    assert {"uploads", "pgdata"} <= set(compose["volumes"])
    code = services["code-location"]
    upload_dir = code["environment"]["JOBSIMPORT_UPLOAD_DIR"]
    assert f"uploads:{upload_dir}" in code["volumes"]
    # Migrated before the code location starts; the UI and the daemon wait for it to serve.
    assert services["migrate"]["command"] == ["jobsimport", "migrate"]
    assert code["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    for name in ("webserver", "daemon"):
        assert services[name]["depends_on"]["code-location"]["condition"] == "service_healthy"


def test_the_code_location_serves_where_the_workspace_points(
    compose: dict, grpc_server: dict
) -> None:
    services = compose["services"]
    command = services["code-location"]["command"]
    assert command[:3] == ["dagster", "code-server", "start"]
    assert command[command.index("-p") + 1] == str(grpc_server["port"])
    assert command[command.index("-m") + 1] == "jobsimport_dagster.definitions"
    assert command[command.index("--location-name") + 1] == grpc_server["location_name"]
    assert grpc_server["host"] == "code-location" and grpc_server["location_name"] == (
        "jobsimport_dagster"
    )
    workspace = f"{INSTANCE_HOME}/workspace.yaml"
    assert services["webserver"]["command"][0] == "dagster-webserver"
    assert services["webserver"]["command"][-2:] == ["-w", workspace]
    assert services["daemon"]["command"] == ["dagster-daemon", "run", "-w", workspace]
    # Dagster's UI has no login of its own: reachable from the host's loopback only.
    assert all(port.startswith("127.0.0.1:") for port in services["webserver"]["ports"])


def test_every_spec_variable_is_set_and_secrets_come_from_the_environment(compose: dict) -> None:
    services = compose["services"]
    code = services["code-location"]["environment"]
    assert set(code) >= SPEC_VARIABLES
    assert services["migrate"]["environment"] == code
    # One Dagster storage for every process: the import database, schema `dagster`.
    for name in ("webserver", "daemon"):
        assert services[name]["environment"]["DAGSTER_PG_URL"] == code["DAGSTER_PG_URL"]
    assert code["DAGSTER_PG_URL"].startswith(code["DATABASE_URL"])
    assert code["DAGSTER_PG_URL"].endswith("?options=-csearch_path%3Ddagster")
    assert code["OMDB_API_KEY"] == "${OMDB_API_KEY:-}"
    assert code["ASHISHDOTME_TOKEN"] == "${ASHISHDOTME_TOKEN:-}"
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"].startswith(
        "${POSTGRES_PASSWORD:?"
    )
    # Wherever a password appears in a URL, it is the variable's.
    text = (DEPLOY / "docker-compose.yml").read_text(encoding="utf-8")
    for url in re.findall(r"postgresql://[^\"\s]+", text):
        assert url.startswith("postgresql://jobsimport:${POSTGRES_PASSWORD:?"), url
    for secret in SECRETS:
        assert not re.search(rf"^\s*{secret}:\s*[^$\s]", text, flags=re.M), secret


def test_the_image_carries_the_repository_instance_config_and_workspace() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert f"COPY dagster.yaml deploy/workspace.yaml {INSTANCE_HOME}/" in dockerfile
    assert f"DAGSTER_HOME={INSTANCE_HOME}" in dockerfile
    ignored = (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
    for kept in ("!pyproject.toml", "!dagster.yaml", "!deploy/workspace.yaml"):
        assert kept in ignored


def test_the_deploy_note_says_what_was_run_here() -> None:
    note = (DEPLOY / "README.md").read_text(encoding="utf-8")
    assert "not run here" in note
    assert "test_topology.py" in note
    for value in ("K8sRunLauncher", "dagster-user-deployments", "ReadWriteMany", "envSecrets"):
        assert value in note
