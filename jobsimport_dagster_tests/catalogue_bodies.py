"""Request bodies of SPEC §8, shared by the tests of the catalogue stand-in and its client."""

MOVIE = {
    "title": "Up",
    "description": "A stowaway.",
    "language": "English",
    "genre": "Animation, Adventure",
    "year": 2009,
    "viewingDate": "2024-06-01T00:00:00.000Z",
    "imdbRating": 8.2,
    "imdbId": "tt1049413",
    "posterUrl": None,
    "tmdbId": None,
    "loved": True,
}
