"""The IMDb stand-in answers the real suggestion captures and its known entries."""

from collections.abc import Iterator

import pytest
import requests

from jobsimport_dagster.standins.imdb import SUGGESTION_FIXTURES, ImdbStandin, suggestion
from jobsimport_dagster.standins.omdb import FIXTURES
from jobsimport_dagster.standins.server import RunningStandin, start_standin


@pytest.fixture(scope="module")
def imdb() -> Iterator[RunningStandin]:
    with start_standin(ImdbStandin()) as running:
        yield running


def _search(imdb: RunningStandin, query: str) -> requests.Response:
    return requests.get(f"{imdb.base_url}/search", params={"query": query}, timeout=5)


def _title(imdb: RunningStandin, imdb_id: str) -> requests.Response:
    return requests.get(f"{imdb.base_url}/title/{imdb_id}", timeout=5)


@pytest.mark.parametrize(
    "query",
    [
        "stupid",  # the v3 capture: `i` an object, `qid`, int `y`
        "FLASH",  # the legacy v2 capture: `i` an array, no `qid`, a title without `y`
    ],
)
def test_capture_queries_answer_the_capture_verbatim(imdb: RunningStandin, query: str) -> None:
    response = _search(imdb, query)
    assert response.status_code == 200
    assert response.content == (FIXTURES / SUGGESTION_FIXTURES[query.lower()]).read_bytes()


def test_other_queries_list_matching_known_entries_in_v3_shape(imdb: RunningStandin) -> None:
    body = _search(imdb, "crazy stupid").json()
    assert body["q"] == "crazy stupid"
    assert [(e["id"], e["l"], e["qid"], e["y"]) for e in body["d"]] == [
        ("tt1570728", "Crazy, Stupid, Love.", "movie", 2011)
    ]
    assert _search(imdb, "no such words anywhere").json()["d"] == []


def test_title_answers_known_ids_and_404s_the_rest(imdb: RunningStandin) -> None:
    assert _title(imdb, "tt21652514").json() == {
        "id": "tt21652514",
        "title": "Stupid Wife",
        "year": 2022,
        "type": "tvSeries",
    }
    # the unreleased legacy entry has no year and only a `q` label
    assert _title(imdb, "tt0439572").json()["year"] is None
    assert _title(imdb, "tt0439572").json()["type"] == "feature"
    assert _title(imdb, "tt9999999").status_code == 404


def test_entries_added_from_python_and_over_http_are_searchable(imdb: RunningStandin) -> None:
    imdb.standin.add_entries([suggestion("tt0111161", "The Shawshank Redemption", 1994, "movie")])
    answer = requests.post(
        f"{imdb.base_url}/_standin/config",
        json={"entries": [suggestion("tt0903747", "Breaking Bad", 2008, "tvSeries")]},
        timeout=5,
    )
    assert answer.status_code == 200
    assert [e["id"] for e in _search(imdb, "shawshank").json()["d"]] == ["tt0111161"]
    assert _title(imdb, "tt0903747").json()["type"] == "tvSeries"
    refused = requests.post(f"{imdb.base_url}/_standin/config", json={"entries": [{}]}, timeout=5)
    assert refused.status_code == 400


def test_search_without_query_is_a_400(imdb: RunningStandin) -> None:
    assert requests.get(f"{imdb.base_url}/search", timeout=5).status_code == 400


def test_the_match_traps_list_every_title_of_their_name(imdb: RunningStandin) -> None:
    found = {(e["id"], e["qid"]) for e in _search(imdb, "flow").json()["d"]}
    # the feature and a short of the same title and year (IMDb types the short `short`)
    assert {("tt4772188", "movie"), ("tt9900101", "short")} <= found
    assert {e["y"] for e in _search(imdb, "shameless").json()["d"]} == {2004, 2011}
    # "Max" also finds Mad Max: Fury Road, as a real suggestion search does
    assert {e["id"] for e in _search(imdb, "max").json()["d"]} >= {"tt3369806", "tt1392190"}
    # accents ignored
    assert [e["id"] for e in _search(imdb, "amelie").json()["d"]] == ["tt0211915"]
