"""`import_results`: one partition per import, materialized by the ops of `import_job`.

A graph-backed asset, so Dagster plans its partition when a run starts and marks the partition
failed when the run fails (SPEC §9); its check `no_failed_rows` is evaluated per partition by
`import_rows`. `rejected_files` is observed by `upload_sensor` with the files it turned away.
"""

import warnings

import dagster as dg

from jobsimport_dagster.defs.imports.metadata import (
    FAILED_ROWS_CHECK,
    REJECTED_ASSET,
    RESULTS_ASSET,
)
from jobsimport_dagster.defs.imports.ops import import_rows, validate_rows
from jobsimport_dagster.defs.imports.partitions import import_files

with warnings.catch_warnings():
    # A partitioned check is "preview" in Dagster 1.13; it is what gives each partition its
    # own check status, so the warning is expected and kept out of every process's log.
    warnings.simplefilter("ignore", dg.PreviewWarning)
    no_failed_rows = dg.AssetCheckSpec(
        FAILED_ROWS_CHECK,
        asset=RESULTS_ASSET,
        partitions_def=import_files,
        description="Warns when the import has failed rows (its partition ends `partial`).",
    )


@dg.graph_asset(
    key=RESULTS_ASSET,
    partitions_def=import_files,
    check_specs=[no_failed_rows],
    kinds={"postgres"},
    description=(
        "Rows of each imported file in api.ashish.me: counters, success rate, OMDb use and the "
        "failed rows. A failed partition is an import with rows left (or whose run failed or "
        "was terminated): re-execute it to retry."
    ),
)
def import_results():
    """The steps of one import: validate, then dedupe, enrich and insert (state is in Postgres)."""
    return import_rows(validate_rows())


rejected_files = dg.AssetSpec(
    REJECTED_ASSET,
    description=(
        "Files the watched folder turned away: file, reason and where each was moved "
        "(uploads/rejected/). Observed by upload_sensor whenever it rejects a file."
    ),
    kinds={"file"},
)


@dg.definitions
def asset_definitions() -> dg.Definitions:
    return dg.Definitions(assets=[import_results, rejected_files])
