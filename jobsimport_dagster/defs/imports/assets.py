"""`import_results`: one partition per import, materialized by each run with its outcome."""

import dagster as dg

from jobsimport_dagster.db import jobs
from jobsimport_dagster.defs.imports.metadata import FAILED_ROWS_CHECK, RESULTS_ASSET
from jobsimport_dagster.defs.imports.partitions import import_files
from jobsimport_dagster.defs.resources import DatabaseResource

import_results = dg.AssetSpec(
    RESULTS_ASSET,
    partitions_def=import_files,
    description=(
        "Rows of each imported file in api.ashish.me: counters, success rate, OMDb use and the "
        "failed rows. Materialized by import_job; re-execute a failed partition to retry."
    ),
    kinds={"postgres"},
)


@dg.asset_check(asset=RESULTS_ASSET, name=FAILED_ROWS_CHECK, blocking=False)
def no_failed_rows(database: DatabaseResource) -> dg.AssetCheckResult:
    """Warns when imports have failed rows. import_job evaluates it per partition after each
    run; run on its own (from the UI) it looks at every import."""
    with database.get_engine().connect() as conn:
        failing = jobs.jobs_with_failed_rows(conn)
    return dg.AssetCheckResult(
        passed=not failing,
        severity=dg.AssetCheckSeverity.WARN,
        description=f"{len(failing)} imports have failed rows" if failing else "no row failed",
        metadata={"imports_with_failed_rows": dg.MetadataValue.json(failing[:50])},
    )


@dg.definitions
def asset_definitions() -> dg.Definitions:
    return dg.Definitions(assets=[import_results], asset_checks=[no_failed_rows])
