"""The code location loads and carries SPEC §9's names; only defs/ imports dagster (STYLE)."""

import ast
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from jobsimport_dagster.definitions import defs

PACKAGE = Path(__file__).resolve().parent.parent / "jobsimport_dagster"


@pytest.fixture(autouse=True)
def live_instance() -> Iterator[None]:
    # Loading definitions consults the current instance's state storage; an earlier test's
    # instance may be gone, so give these tests one of their own.
    with dg.instance_for_test():
        yield


def test_location_has_spec_names() -> None:
    repository = defs.get_repository_def()
    assert repository.name == "__repository__"
    assert "import_job" in {job.name for job in repository.get_all_jobs()}
    assert {sensor.name for sensor in repository.sensor_defs} >= {"upload_sensor"}
    job = repository.get_job("import_job")
    assert isinstance(job.partitions_def, dg.DynamicPartitionsDefinition)
    assert job.partitions_def.name == "import_files"


def test_upload_sensor_is_on_by_default() -> None:
    sensor = defs.get_repository_def().get_sensor_def("upload_sensor")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert sensor.job_name == "import_job"


def test_import_job_materializes_import_results_with_its_check() -> None:
    # The job materializes the asset itself, so Dagster plans its partition at each run and
    # marks it failed when the run fails (SPEC §9); the check is evaluated per partition.
    job = defs.get_repository_def().get_job("import_job")
    assert job.asset_layer.executable_asset_keys == {dg.AssetKey("import_results")}
    assets_def = job.asset_layer.get(dg.AssetKey("import_results")).assets_def
    (check,) = assets_def.check_specs
    assert check.name == "no_failed_rows"
    assert check.partitions_def == job.partitions_def


def test_import_job_steps_run_in_spec_order_and_hand_each_other_nothing() -> None:
    job = defs.get_repository_def().get_job("import_job")
    (graph,) = [node.definition for node in job.graph.nodes]
    assert graph.name == "import_results"
    order = [node.name for node in graph.nodes_in_topological_order]
    # validate (and normalize), then dedupe, enrich and insert as stages of one op.
    assert order == ["validate_rows", "import_rows"]
    # Nothing between the ops goes through an IO manager (a local folder): state is in Postgres.
    for node in graph.nodes:
        for output in node.definition.output_defs:
            assert output.dagster_type.is_nothing or output.name.endswith("no_failed_rows"), (
                node.name,
                output.name,
            )


def _imports_dagster(path: Path) -> bool:
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(
            a.name.split(".")[0] == "dagster" for a in node.names
        ):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "dagster":
            return True
    return False


def test_only_the_defs_layer_and_its_shell_import_dagster() -> None:
    # The pure core (sources, steps, intake, codes, models) and the I/O modules stay Dagster-free;
    # besides defs/, only the root definitions and web/ (which serves Dagster's own app) may.
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if _imports_dagster(path)
        and path != PACKAGE / "definitions.py"
        and not {"defs", "web"} & set(path.relative_to(PACKAGE).parts)
    ]
    assert offenders == []
