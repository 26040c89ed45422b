"""Local stand-ins for OMDb, the IMDb fallback and api.ashish.me, with fault injection."""

from jobsimport_dagster.standins.admin import StandinAdmin
from jobsimport_dagster.standins.catalogue import CatalogueStandin, ShowsShape
from jobsimport_dagster.standins.faults import Faults
from jobsimport_dagster.standins.imdb import ImdbStandin
from jobsimport_dagster.standins.omdb import OmdbStandin
from jobsimport_dagster.standins.server import (
    RunningStandin,
    StandinGroup,
    start_all,
    start_standin,
)

__all__ = [
    "CatalogueStandin",
    "Faults",
    "ImdbStandin",
    "OmdbStandin",
    "RunningStandin",
    "ShowsShape",
    "StandinAdmin",
    "StandinGroup",
    "start_all",
    "start_standin",
]
