"""Job `import_job`, partitioned by `import_files`: one run imports one file.

It materializes `import_results` (the graph of the six step ops), so Dagster's partition
status of that asset follows the runs: a failed run is a failed partition, never a missing one.
"""

import dagster as dg

from jobsimport_dagster.defs.imports.assets import import_results

import_job = dg.define_asset_job(
    "import_job",
    selection=dg.AssetSelection.assets(import_results),
    description="One import: steps run in one process, one after another; state is in Postgres.",
    executor_def=dg.in_process_executor,
)


@dg.definitions
def import_definitions() -> dg.Definitions:
    return dg.Definitions(jobs=[import_job])
