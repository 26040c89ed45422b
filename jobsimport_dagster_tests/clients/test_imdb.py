"""ImdbClient: both suggestion shapes parse to tt-only candidates; lookups against the stand-in."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jobsimport_dagster.clients.http import HttpPolicy
from jobsimport_dagster.clients.imdb import ImdbCandidate, ImdbClient, kind_of, parse_suggestions
from jobsimport_dagster.errors import UpstreamUnavailable
from jobsimport_dagster.standins.faults import Faults
from jobsimport_dagster.standins.imdb import ImdbStandin
from jobsimport_dagster.standins.server import RunningStandin, start_standin


def _capture(sample_data: Path, name: str) -> dict[str, Any]:
    return json.loads((sample_data / "omdb" / "imdb_suggestion" / name).read_text())


def test_parse_v3_capture(sample_data: Path) -> None:
    candidates = parse_suggestions(_capture(sample_data, "v3_x_stupid_includeVideos1.json"))
    assert [(c.id, c.year, c.kind) for c in candidates] == [
        ("tt1570728", 2011, "movie"),
        ("tt21652514", 2022, "series"),
        ("tt5566790", 2018, "movie"),
        ("tt0499408", 2004, "series"),
        ("tt1842178", 2010, "series"),
        ("tt27703758", 2024, "movie"),
        ("tt0101821", 1991, "movie"),
        ("tt0058265", 1964, "movie"),
    ]
    assert candidates[0].title == "Crazy, Stupid, Love."


def test_parse_legacy_v2_capture(sample_data: Path) -> None:
    candidates = parse_suggestions(_capture(sample_data, "v2_legacy_flash_array_image.json"))
    assert [(c.id, c.title, c.year, c.kind) for c in candidates] == [
        ("tt3107288", "The Flash", 2014, "series"),
        ("tt0439572", "The Flash", None, "movie"),  # unreleased: no `y`
        ("tt0080745", "Flash Gordon", 1980, "movie"),
        ("tt0098798", "The Flash", 1990, "series"),
        ("tt0136199", "Flash", 1997, "tvEpisode"),
        ("tt3623726", "Ricki and the Flash", 2015, "movie"),
        ("tt0091306", "Jumpin' Jack Flash", 1986, "movie"),
        ("tt0115173", "Flash Forward", 1995, "series"),
    ]


def test_parse_keeps_only_titles() -> None:
    payload = {
        "d": [
            {"id": "nm0000158", "l": "Tom Hanks", "s": "Actor"},  # a person
            {"id": "/imdbpicks/summer-watch-guide/", "l": "Summer Watch Guide"},  # a list
            {"id": "tt0000001"},  # no title label
            {"id": "tt0111161", "l": "The Shawshank Redemption", "y": "1994", "qid": "movie"},
        ],
        "q": "x",
        "v": 1,
    }
    # `y` as a string is not trusted as a year
    assert parse_suggestions(payload) == [
        ImdbCandidate("tt0111161", "The Shawshank Redemption", None, "movie")
    ]
    assert parse_suggestions({"q": "nothing", "v": 1}) == []  # no `d` at all


@pytest.mark.parametrize(
    ("qid", "label", "kind"),
    [
        ("movie", "feature", "movie"),
        ("tvSeries", "TV series", "series"),
        ("tvMiniSeries", "TV mini-series", "series"),  # mini-series are series, as OMDb types them
        ("videoGame", "video game", "videoGame"),  # Mortal Kombat II next to the film
        ("tvMovie", "TV movie", "tvMovie"),
        (None, "feature", "movie"),  # legacy v2: only the label
        (None, "TV series", "series"),
        (None, "TV episode", "tvEpisode"),
        (None, None, "unknown"),
    ],
)
def test_kind_of(qid: str | None, label: str | None, kind: str) -> None:
    assert kind_of(qid, label) == kind


@pytest.fixture(scope="module")
def imdb() -> Iterator[RunningStandin]:
    with start_standin(ImdbStandin()) as running:
        yield running


@pytest.fixture
def client(imdb: RunningStandin, policy: HttpPolicy) -> Iterator[ImdbClient]:
    imdb.standin.set_faults(Faults())
    client = ImdbClient(imdb.base_url, policy=policy)
    yield client
    client.close()


def test_search_reads_both_shapes_from_the_stand_in(client: ImdbClient) -> None:
    assert client.search(query="stupid")[1] == ImdbCandidate(
        "tt21652514", "Stupid Wife", 2022, "series"
    )
    assert client.search(query="flash")[1] == ImdbCandidate("tt0439572", "The Flash", None, "movie")
    assert client.search(query="nothing like this") == []


def test_by_id_answers_known_titles_and_none_for_404(client: ImdbClient) -> None:
    assert client.by_id(imdb_id="tt1570728") == ImdbCandidate(
        "tt1570728", "Crazy, Stupid, Love.", 2011, "movie"
    )
    assert client.by_id(imdb_id="tt0439572") == ImdbCandidate(
        "tt0439572", "The Flash", None, "movie"
    )
    assert client.by_id(imdb_id="tt9999999") is None


def test_search_retries_through_faults_and_gives_up_cleanly(
    imdb: RunningStandin, client: ImdbClient
) -> None:
    imdb.standin.set_faults(error_rate=0.3, hang_rate=0.05, hang_seconds=1)
    assert all(client.search(query=f"stupid {i}") == [] for i in range(20))
    imdb.standin.set_faults(error_rate=1.0, hang_rate=0.0)
    with pytest.raises(UpstreamUnavailable, match="IMDb answered 503"):
        client.search(query="stupid")
