"""Dynamic partitions `import_files`: one partition per accepted file (SPEC §4)."""

import dagster as dg

import_files = dg.DynamicPartitionsDefinition(name="import_files")
