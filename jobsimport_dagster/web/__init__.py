"""The web UI and `/graphql`: Dagster's own app, served in `jobsimport dev` behind a token gate."""
