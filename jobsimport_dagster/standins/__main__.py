"""`python -m jobsimport_dagster.standins`: serve all three stand-ins until SIGTERM or Ctrl-C.

Prints one JSON line with their base URLs once they listen, e.g.
`{"omdb": "http://127.0.0.1:8101", "imdb": "...", "catalogue": "..."}`.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Sequence

from jobsimport_dagster.standins.catalogue import DEFAULT_TOKEN, CatalogueStandin, ShowsShape
from jobsimport_dagster.standins.faults import Faults
from jobsimport_dagster.standins.imdb import ImdbStandin
from jobsimport_dagster.standins.omdb import DEFAULT_API_KEY, OmdbStandin
from jobsimport_dagster.standins.server import start_all


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m jobsimport_dagster.standins")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--omdb-port", type=int, default=0)
    parser.add_argument("--imdb-port", type=int, default=0)
    parser.add_argument("--catalogue-port", type=int, default=0)
    parser.add_argument("--omdb-key", default=DEFAULT_API_KEY)
    parser.add_argument("--omdb-daily-limit", type=int, default=None)
    parser.add_argument(
        "--not-found", action="append", default=[], help="a title OMDb does not know"
    )
    parser.add_argument("--catalogue-token", default=DEFAULT_TOKEN)
    parser.add_argument(
        "--shows-shape", choices=[s.value for s in ShowsShape], default="per_season"
    )
    parser.add_argument(
        "--faults", default="{}", help='JSON for all three, e.g. {"error_rate": 0.2}'
    )
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    faults = Faults.from_mapping(json.loads(args.faults))
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    with start_all(
        host=args.host,
        omdb=OmdbStandin(
            api_key=args.omdb_key,
            daily_limit=args.omdb_daily_limit,
            not_found=args.not_found,
            faults=faults,
        ),
        imdb=ImdbStandin(faults=faults),
        catalogue=CatalogueStandin(
            token=args.catalogue_token, shows_shape=args.shows_shape, faults=faults
        ),
        omdb_port=args.omdb_port,
        imdb_port=args.imdb_port,
        catalogue_port=args.catalogue_port,
    ) as group:
        sys.stdout.write(json.dumps(group.urls()) + "\n")
        sys.stdout.flush()
        stop.wait()


if __name__ == "__main__":
    main()
