"""Netflix episode titles (`Show: Season 1: Episode`) split into show, season and episode."""

import re
import unicodedata
from dataclasses import dataclass

# Netflix joins show, season label and episode with ": "; a colon with no space after it is part
# of a name (`Revelation 2:10`, `11:27`). French titles put a space before the colon too.
_SEPARATOR = re.compile(r"\s*:\s+")
# Words a season label is made of, by language, lower-cased. A season word always names a
# season; a part word (Part, Book, Volume, Chapter) may also end an episode's own title
# (`Becoming: Part 2`), so a season word wins over a part word wherever the two stand.
_SEASON_WORDS = (
    "season|collection|series"  # English; British "Series 2"; "Collection" (Bake Off)
    "|staffel"  # German
    "|temporada"  # Spanish, Portuguese
    "|saison"  # French
    "|stagione"  # Italian
    "|seizoen"  # Dutch
    "|säsong"  # Swedish
    "|kausi"  # Finnish
    "|sæson|sesong|sezon"  # Danish, Norwegian, Polish and Turkish
)
_PART_WORDS = (
    "part|book|volume|chapter"  # English
    "|teil|buch|kapitel"  # German
    "|parte|libro|volumen|capítulo"  # Spanish
    "|partie|livre|chapitre"  # French
    "|livro"  # Portuguese (parte, volume and capítulo as in Spanish and English)
    "|capitolo"  # Italian (parte, libro and volume as above)
    "|deel|boek|hoofdstuk"  # Dutch
    "|del|bok|volym"  # Swedish (kapitel as in German)
    "|osa|kirja|luku"  # Finnish
)
# A whole season in one: always season 1.
_LIMITED_SERIES = frozenset(
    {
        "limited series",
        "miniseries",
        "mini-series",
        "miniserie",  # German, Spanish, Italian, Dutch, Swedish
        "limitierte serie",
        "serie limitada",
        "mini-série",
        "série limitée",
        "minissérie",
        "serie limitata",
        "minisarja",
    }
)
_SEASON_LABEL = re.compile(rf"(?:{_SEASON_WORDS})\s+0*(?P<number>\d{{1,4}})", re.IGNORECASE)
_PART_LABEL = re.compile(rf"(?:{_PART_WORDS})\s+0*(?P<number>\d{{1,4}})", re.IGNORECASE)


@dataclass(frozen=True)
class Episode:
    """A Netflix title read as an episode: `season` is the number its `label` stands for."""

    show: str
    season: int
    label: str
    episode: str


def clean_title(title: str) -> str:
    """NFC, every run of whitespace (TABs included) one space, no space at either end."""
    return " ".join(unicodedata.normalize("NFC", title).split())


def season_number(label: str, show: str) -> tuple[int, bool] | None:
    """(season, is a season word) of a season label, None when it is not one.

    `Limited Series` is season 1; `Season 3`, `Staffel 3`, `Series 3` are season 3, and so are
    `Part 3`, `Book 3`, `Volume 3` and `Chapter 3`. A label repeating the show's name with a
    number is that season too: Netflix lists Stranger Things' second season as
    `Stranger Things: Stranger Things 2: …`.
    """
    if label.casefold() in _LIMITED_SERIES:
        return 1, True
    if match := _SEASON_LABEL.fullmatch(label):
        return int(match["number"]), True
    named, _, number = label.rpartition(" ")
    if number.isascii() and number.isdigit() and named.casefold() == show.casefold():
        return int(number), True
    if match := _PART_LABEL.fullmatch(label):
        return int(match["number"]), False
    return None


def split_episode(title: str) -> Episode | None:
    """The title as show, season label and episode, or None when it is not an episode.

    The label is searched from the right, between a show (before it) and an episode (after it):
    show names contain colons (`Trollhunters: Tales of Arcadia: Part 1: …`) and so do episode
    names (`…: Part 1: Becoming: Part 2`). The rightmost season word is taken, else the
    rightmost part word. Films (`Hubie Halloween`, `Pacific Rim: Uprising`) and titles whose
    season has only a name (`Roman Empire: Caligula: The Mad Emperor: …`) are not episodes.
    """
    parts = _SEPARATOR.split(clean_title(title))
    found: dict[bool, tuple[int, int]] = {}
    for position in range(len(parts) - 2, 0, -1):
        show = ": ".join(parts[:position])
        season = season_number(parts[position], show)
        if season is not None:
            found.setdefault(season[1], (position, season[0]))
    chosen = found.get(True) or found.get(False)
    if chosen is None:
        return None
    position, number = chosen
    return Episode(
        show=": ".join(parts[:position]),
        season=number,
        label=parts[position],
        episode=": ".join(parts[position + 1 :]),
    )
