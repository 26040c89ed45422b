"""jobsimport_dagster: bulk import of watch-history exports into api.ashish.me, run by Dagster."""
