"""The Netflix title splitter: show, season label and episode, from the right, in many languages."""

import pytest

from jobsimport_dagster.sources.netflix_titles import Episode, clean_title, split_episode


@pytest.mark.parametrize(
    ("title", "show", "season", "label", "episode"),
    [
        # --- from the real file (netflix_us_NetflixViewingHistory_tsachit.csv) ---
        # the show's name has a colon
        ("Trollhunters: Tales of Arcadia: Part 2: Homecoming",
         "Trollhunters: Tales of Arcadia", 2, "Part 2", "Homecoming"),
        # the episode's name ends in a part label of its own: the label before it is the season
        ("Trollhunters: Tales of Arcadia: Part 1: Becoming: Part 2",
         "Trollhunters: Tales of Arcadia", 1, "Part 1", "Becoming: Part 2"),
        ("Star Trek: Discovery: Season 1: The Vulcan Hello",
         "Star Trek: Discovery", 1, "Season 1", "The Vulcan Hello"),
        ("Rise of Empires: Ottoman: Season 1: The New Sultan",
         "Rise of Empires: Ottoman", 1, "Season 1", "The New Sultan"),
        # the episode's name has a colon
        ("Archer: Season 1: Pilot: Mole Hunt", "Archer", 1, "Season 1", "Pilot: Mole Hunt"),
        # colons without a space after them belong to the name (Bible verses, a time)
        ("Warrior Nun: Season 1: Revelation 2:10", "Warrior Nun", 1, "Season 1",
         "Revelation 2:10"),
        ("Travelers: Season 2: 11:27", "Travelers", 2, "Season 2", "11:27"),
        # a TAB inside the episode's name
        ("Titans: Season 1: Hank and\tDawn", "Titans", 1, "Season 1", "Hank and Dawn"),
        # British series, books and limited series
        ("Sherlock: Series 4: The Six Thatchers", "Sherlock", 4, "Series 4", "The Six Thatchers"),
        ("The Last Kids on Earth: Book 1: The Last Kids on Earth", "The Last Kids on Earth", 1,
         "Book 1", "The Last Kids on Earth"),
        ("Sex, Explained: Limited Series: Attraction", "Sex, Explained", 1, "Limited Series",
         "Attraction"),
        # a comma and a part word inside the episode's name, not after a colon
        ("The Order: Season 2: The Commons, Part 2", "The Order", 2, "Season 2",
         "The Commons, Part 2"),
        # punctuation in the show's name
        ("Jamtara - Sabka Number Ayega: Season 1: Episode 10", "Jamtara - Sabka Number Ayega", 1,
         "Season 1", "Episode 10"),
        ("That '70s Show: Season 1: Pilot", "That '70s Show", 1, "Season 1", "Pilot"),
        # --- made up: the season words of other languages ---
        ("Dark: Staffel 2: Geister", "Dark", 2, "Staffel 2", "Geister"),  # German
        ("La casa de papel: Temporada 3: Bum, bum, ciao", "La casa de papel", 3, "Temporada 3",
         "Bum, bum, ciao"),  # Spanish
        ("Sintonia: Temporada 1: Episódio 1", "Sintonia", 1, "Temporada 1", "Episódio 1"),
        ("Lupin : Saison 1 : Chapitre 1", "Lupin", 1, "Saison 1", "Chapitre 1"),  # French spaces
        ("Suburra: Stagione 2: Episodio 3", "Suburra", 2, "Stagione 2", "Episodio 3"),  # Italian
        ("Undercover: Seizoen 2: Aflevering 4", "Undercover", 2, "Seizoen 2", "Aflevering 4"),
        ("Störst av allt: Säsong 1: Avsnitt 1", "Störst av allt", 1, "Säsong 1", "Avsnitt 1"),
        ("Aallonmurtaja: Kausi 2: Jakso 5", "Aallonmurtaja", 2, "Kausi 2", "Jakso 5"),  # Finnish
        ("Borgen: Sæson 4: Afsnit 1", "Borgen", 4, "Sæson 4", "Afsnit 1"),  # Danish
        ("Ragnarok: Sesong 3: Episode 2", "Ragnarok", 3, "Sesong 3", "Episode 2"),  # Norwegian
        ("1983: Sezon 1: Odcinek 2", "1983", 1, "Sezon 1", "Odcinek 2"),  # Polish
        # part words of other languages
        ("Haus des Geldes: Teil 4: Game Over", "Haus des Geldes", 4, "Teil 4", "Game Over"),
        ("La casa de papel: Parte 5: Vol. 1", "La casa de papel", 5, "Parte 5", "Vol. 1"),
        ("Lupin: Partie 2: Chapitre 6", "Lupin", 2, "Partie 2", "Chapitre 6"),
        ("Love, Death & Robots: Volume 2: Automated Customer Service", "Love, Death & Robots", 2,
         "Volume 2", "Automated Customer Service"),
        ("Riverdale: Chapter 12: Anatomy of a Murder", "Riverdale", 12, "Chapter 12",
         "Anatomy of a Murder"),
        # limited series in other languages: season 1
        ("Unorthodox: Miniserie: Folge 1", "Unorthodox", 1, "Miniserie", "Folge 1"),
        ("Maid: Minissérie: Vassoura", "Maid", 1, "Minissérie", "Vassoura"),
        # a season word wins over a part word on its right
        ("Show: Season 2: Chapter 3: The Storm", "Show", 2, "Season 2", "Chapter 3: The Storm"),
        # a season named by the show's name and a number
        ("Stranger Things: Stranger Things 2: Chapter One: MADMAX", "Stranger Things", 2,
         "Stranger Things 2", "Chapter One: MADMAX"),
        # lower case, a zero-padded number, stray spaces
        ("  The  Bear :  season 02 :  Beef  ", "The Bear", 2, "season 02", "Beef"),
    ],
)  # fmt: skip
def test_split_episode_reads_show_season_and_episode(
    title: str, show: str, season: int, label: str, episode: str
) -> None:
    assert split_episode(title) == Episode(show, season, label, episode)


@pytest.mark.parametrize(
    "title",
    [
        # films from the real file, with and without a colon
        "Hubie Halloween",
        "Sherlock Holmes: A Game of Shadows",
        "Pacific Rim: Uprising",
        "Vir Das: Abroad Understanding",
        # episodes whose season has only a name: no season number can be told
        "Roman Empire: Caligula: The Mad Emperor: The Rightful Heir",
        "Free!: Free!: Iwatobi Swim Club: Reunion at the Starting Block!",
        # a part label with nothing after it is a film's (the last segment is never a season)
        "The Hunger Games: Mockingjay: Part 1",
        "Show: Season 1",
        # a season label with no show before it
        "Season 1: Pilot",
        # a label word without a number
        "The Crown: Season: Gloriana",
        # a season word inside a longer segment
        "Halloween: Season of the Witch: Part One",
        # blank
        "",
        "   ",
    ],
)
def test_split_episode_refuses_what_is_not_an_episode(title: str) -> None:
    assert split_episode(title) is None


def test_clean_title_collapses_tabs_and_stray_whitespace() -> None:
    assert (
        clean_title(" Titans:\tSeason 1: Dick\t Grayson\u00a0") == "Titans: Season 1: Dick Grayson"
    )
