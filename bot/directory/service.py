"""Finding a person's district (a place name as typed, or a location) and the services for it.

Place names are compared *folded*: case, accents and umlauts (``ä``/``ae``), ``ß``, Cyrillic
transliterated to Latin, Arabic/Persian letter variants unified, so that "Erfurth", "ERFURT",
"Эрфурт" and "إرفورت" meet the same entry; a few typos are forgiven (optimal string alignment
distance, rapidfuzz; none in short names). A message that names places of two districts is
ambiguous: no answer is better than a wrong office.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import OSA
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.content.models import ContentItem, ContentKind, ContentTranslation, TranslationStatus
from bot.content.status_file import text_hash
from bot.directory import loader
from bot.directory.loader import Directory, load_directory
from bot.directory.models import STATE_WIDE, District, Service

# ------------------------------------------------------------------------------------ folding

_CYRILLIC = {
    "а": "a", "б": "b", "в": "w", "г": "g", "ґ": "g", "д": "d", "е": "e", "ё": "jo", "є": "je",
    "ж": "sch", "з": "s", "и": "i", "і": "i", "ї": "ji", "й": "i", "к": "k", "л": "l", "м": "m",
    "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "ch",
    "ц": "z", "ч": "tsch", "ш": "sch", "щ": "schtsch", "ъ": "", "ы": "y", "ь": "", "э": "e",
    "ю": "ju", "я": "ja", "ʼ": "",
}  # fmt: skip
"""German-style transliteration (how a name like Zella-Mehlis is written in Cyrillic, backwards)."""
_ARABIC = str.maketrans(
    {
        "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ی": "ي", "ې": "ي", "ێ": "ي",
        "ك": "ک", "ة": "ه", "ۀ": "ه", "ە": "ه", "ؤ": "و", "ئ": "ي", "ـ": None, "\u200c": " ",
        "ڤ": "ف", "پ": "ب", "گ": "ک", "چ": "ج", "ژ": "ز",
    }
)  # fmt: skip
"""Letter variants of Arabic, Persian, Pashto, Kurdish; Persian letters folded to the Arabic ones
(people write ``پ``/``ب``, ``گ``/``ک`` for Gotha and Gera alike)."""
_OTHER = str.maketrans({"ı": "i", "ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d"})
_UMLAUT_SPELLED = re.compile(r"(?<=[a-z])(ae|oe|ue)")
_NOT_WORD = re.compile(r"[^\w]+")
_DIGITS = re.compile(r"\d")
_ARABIC_PREFIXES = ("ال", "ب", "ل", "و", "ف", "ک")
MIN_FUZZY_LENGTH = 4
"""Names (and phrases) this short are only matched exactly."""
MAX_WORDS = 4
"""The longest place name (in words) looked for inside a sentence ("Bad Berka", "Am Ettersberg")."""


def fold(text: str) -> str:
    """``text`` folded for comparing place names: lower case, ASCII where possible, words by spaces."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_OTHER).translate(_ARABIC)
    text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    text = "".join(_CYRILLIC.get(c, c) for c in text)
    text = _UMLAUT_SPELLED.sub(lambda m: m.group(1)[0], text)
    return " ".join(_NOT_WORD.sub(" ", text.replace("_", " ")).split())


_LOCATIVES = frozenset(fold(w) for w in ("في", "فى", "إلى", "الى", "در", "تو"))
"""Arabic and Persian words for "in"/"to" (folded): the next word is meant as a place."""
_NOT_PLACES = frozenset(fold(w) for w in ("بكرا", "بكره", "بكرة", "بُكرا"))
"""Common words that fold into a place name ("بكرا", tomorrow, is "ب" + "كرا", Gera)."""
_ANCHORING_PREFIXES = ("ب", "ل")
"""Arabic prefixes meaning "in"/"to" ("بإرفورت"), unlike "و" (and) or "ال" (the)."""


@dataclass(frozen=True, slots=True)
class _Phrase:
    text: str
    words: int
    anchored: bool
    """The place itself: a short answer to "where do you live?" (typos are forgiven more readily)."""


def _phrases(folded: str, *, answer: bool) -> list[_Phrase]:
    """Every run of up to ``MAX_WORDS`` words, longest first (and Arabic words without a prefix)."""
    words = [w for w in folded.split() if not _DIGITS.search(w) and w not in _NOT_PLACES]
    short = answer and len(words) <= 3
    runs: list[_Phrase] = []
    for size in range(min(MAX_WORDS, len(words)), 0, -1):
        runs += [_Phrase(" ".join(words[i : i + size]), size, short) for i in range(len(words) - size + 1)]
    for before, word in pairwise(words):
        if before in _LOCATIVES:
            # "في ايرفورت", "در ارفورت": the word after "in" is meant as a place, and Arabic script
            # writes the vowels of a foreign name freely, so it gets the typos of a short answer
            runs.append(_Phrase(word, 1, True))
    for word in words:
        for prefix in _ARABIC_PREFIXES:
            if word.startswith(prefix) and len(word) - len(prefix) >= 3:
                runs.append(_Phrase(word[len(prefix) :], 1, short and prefix in _ANCHORING_PREFIXES))
    return runs


# ------------------------------------------------------------------------------------ the index


@dataclass(frozen=True, slots=True)
class _Index:
    directory: Directory
    names: dict[str, frozenset[str]]
    """Folded name -> the district keys it may mean."""
    inflected: dict[str, frozenset[str]]
    """Folded Cyrillic case forms ("Готе") -> district keys: only for messages in Cyrillic, since
    folded they can be words of other languages ("Гери" is the Turkish "geri")."""
    choices: tuple[str, ...]


_CYRILLIC_WORD = re.compile(r"[\u0400-\u04ff]+$")
_CYRILLIC_TEXT = re.compile(r"[\u0400-\u04ff]")


def _inflected(name: str) -> list[str]:
    """A Cyrillic name with the case endings Russian and Ukrainian give it ("в Йене", "у Готі")."""
    if not _CYRILLIC_WORD.search(name):
        return []
    if name[-1] in "аяо":
        return [name[:-1] + ending for ending in ("е", "і", "и", "у", "ы", "ой", "ою")]
    if name[-1] in "ьй":
        return [name[:-1] + ending for ending in ("е", "і", "я", "ю")]
    return [name + ending for ending in ("е", "і", "у", "а", "ом")]


_SPA = re.compile(r"^(?:heilbad|bad|amt)\s+", re.IGNORECASE)
_QUALIFIER = re.compile(r"\s*(?:/|\s(?:an der|am|an|bei|b\.|im|in|ob der|vor der)\s).*$", re.IGNORECASE)


def _short_forms(name: str) -> list[str]:
    """How people shorten an official name: "Mühlhausen/Thüringen" → "Mühlhausen", "Neustadt an der
    Orla" → "Neustadt", "Heilbad Heiligenstadt" → "Heiligenstadt", "Leinefelde-Worbis" → both towns."""
    forms = {_QUALIFIER.sub("", name), _SPA.sub("", name)}
    if "-" in name and " " not in name:
        forms |= {part for part in name.split("-") if len(part) >= 5}
    return [f for f in forms if f != name and len(f) >= 4]


def _build(directory: Directory) -> _Index:
    names: dict[str, set[str]] = {}
    inflected: dict[str, set[str]] = {}

    def add(name: str, key: str, into: dict[str, set[str]] = names) -> None:
        folded = fold(name)
        if folded:
            into.setdefault(folded, set()).add(key)

    for district in directory.districts:
        for name in (district.name, district.seat, *district.alt_names):
            add(name, district.key)
            for form in _inflected(name):
                add(form, district.key, inflected)
    for place in directory.municipalities:
        owner = directory.by_ags.get(place.district_ags)
        if owner is not None:
            for form in (place.name, *_short_forms(place.name)):
                add(form, owner.key)
    frozen = {k: frozenset(v) for k, v in names.items()}
    forms = {k: frozenset(v) for k, v in inflected.items() if k not in frozen}
    return _Index(directory, frozen, forms, tuple(k for k in frozen if len(k) > MIN_FUZZY_LENGTH))


@lru_cache(maxsize=8)
def _index(data_dir: Path) -> _Index:
    return _build(load_directory(data_dir))


def data_dir() -> Path:
    """Where the directory files are (a module setting, so that tests can point elsewhere)."""
    return loader.DATA_DIR


def directory() -> Directory:
    return load_directory(data_dir())


def _allowed_typos(name: str) -> int:
    """Typos forgiven in a name (a wrong, missing, extra or swapped letter each): none in names of
    four letters or fewer ("gern" is not Gera), one up to eight letters, two in longer names."""
    if len(name) <= 4:
        return 0
    return 1 if len(name) <= 8 else 2


def _typos(name: str, phrase: _Phrase) -> int:
    """Typos forgiven: in a short answer as ``_allowed_typos``; inside a sentence one, and only in
    names of eight letters or more ("letter" is not Lutter, "im Zimmer" is not Zimmern)."""
    if phrase.anchored:
        return _allowed_typos(name)
    return 1 if len(name) >= 8 else 0


def match_town(text: str, *, answer: bool = False) -> District | None:
    """The district of the place named in ``text`` (a name alone or inside a sentence), or None
    when no place is recognised or the text names places in more than one district.

    ``answer``: the text answers "where do you live?" — a short one is taken as the place itself,
    with more typos forgiven than in any sentence."""
    index = _index(data_dir())
    phrases = _phrases(fold(text), answer=answer)
    names = {**index.inflected, **index.names} if _CYRILLIC_TEXT.search(text) else index.names
    exact = [(p.text, names[p.text]) for p in phrases if len(p.text) >= 3 and p.text in names]
    if exact:
        # a name inside a longer matched name is part of it ("Salzungen" in "Bad Salzungen")
        kept = [k for p, k in exact if not any(p != q and f" {p} " in f" {q} " for q, _ in exact)]
        keys = set().union(*kept)
        return index.directory.by_key[keys.pop()] if len(keys) == 1 else None
    best: dict[str, int] = {}
    for phrase in phrases:
        if len(phrase.text) < MIN_FUZZY_LENGTH:
            continue
        for name, distance, _ in process.extract(
            phrase.text, index.choices, scorer=OSA.distance, score_cutoff=2, limit=10
        ):
            if (
                distance > _typos(name, phrase)
                or name[0] != phrase.text[0]
                or name.count(" ") + 1 != phrase.words
            ):
                continue
            for key in index.names[name]:
                best[key] = min(best.get(key, 99), int(distance))
    if not best:
        return None
    closest = min(best.values())
    leaders = [k for k, d in best.items() if d == closest]
    return index.directory.by_key[leaders[0]] if len(leaders) == 1 else None


EARTH_RADIUS_KM = 6371.0
MAX_DISTANCE_KM = 60.0
"""A location further than this from every district seat is not in Thuringia (or not near it)."""


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def nearest_district(lat: float, lon: float, *, max_km: float = MAX_DISTANCE_KM) -> District | None:
    """The district whose seat is nearest to the location (None if none is within ``max_km``)."""
    districts = directory().districts
    if not districts:
        return None
    found = min(districts, key=lambda d: distance_km(lat, lon, d.lat, d.lon))
    return found if distance_km(lat, lon, found.lat, found.lon) <= max_km else None


# ------------------------------------------------------------------------------------ services

MAX_SERVICES = 8
"""At most this many entries in one answer (a message must stay readable; the state-wide ones last)."""


def services_for(district: str | None, topic: str | None) -> list[Service]:
    """The services of ``district`` (also those elsewhere that serve it; those for ``topic`` first),
    then the state-wide ones (likewise)."""
    services = directory().services

    def ordered(group: Iterable[Service]) -> list[Service]:
        return sorted(group, key=lambda s: 0 if topic and topic in s.topics else 1)  # stable

    local = ordered(s for s in services if district and (s.district == district or district in s.also_serves))
    state = ordered(s for s in services if s.district == STATE_WIDE)
    return [*local, *state][:MAX_SERVICES]


def format_entry(service: Service) -> str:
    """The German text of a directory entry (what admins see and correct): known fields only."""
    lines = [service.name]
    for mark, value in (
        ("📍", service.address),
        ("☎", service.phone),
        ("✉", service.email),
        ("🌐", service.url),
        ("🕒", service.opening_hours),
        ("🗣", ", ".join(service.languages) or None),
    ):
        if value:
            lines.append(f"{mark} {value}")
    source = service.source_title + (f", {service.source_url}" if service.source_url else "")
    stand = f" (Stand {service.as_of.isoformat()})" if service.as_of else ""
    lines.append(f"Quelle: {source}{stand}")
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class DirectorySeedReport:
    items_created: int
    texts_added: int


def seed_directory(
    session: Session, *, data: Path | None = None, update_texts: bool = False
) -> DirectorySeedReport:
    """Load every service of ``services.yml`` into the content store as item ``dir_<id>`` (German).

    Like ``content seed``: a text is added when the item has none; with ``update_texts`` a
    changed entry becomes a new version. Admins' corrections are otherwise never overwritten.
    """
    services: Sequence[Service] = load_directory(data or data_dir()).services
    keys = [s.content_key for s in services]
    items = {i.key: i for i in session.scalars(select(ContentItem).where(ContentItem.key.in_(keys)))}
    created = added = 0
    for service in services:
        source = {"title": service.source_title}
        sources = [{**source, "url": service.source_url} if service.source_url else source]
        item = items.get(service.content_key)
        if item is None:
            item = ContentItem(key=service.content_key, kind=ContentKind.META, topic="other", sources=sources)
            session.add(item)
            created += 1
        item.sources, item.as_of = sources, service.as_of
        session.flush()
        text = format_entry(service)
        latest = session.scalar(
            select(ContentTranslation)
            .where(ContentTranslation.item_id == item.id, ContentTranslation.language == "de")
            .order_by(ContentTranslation.version.desc())
            .limit(1)
        )
        if latest is not None and (latest.text == text or not update_texts):
            continue
        version = session.scalar(
            select(func.max(ContentTranslation.version)).where(ContentTranslation.item_id == item.id)
        )
        session.add(
            ContentTranslation(
                item_id=item.id,
                language="de",
                version=(version or 0) + 1,
                text=text,
                status=TranslationStatus.REVIEWED,
                origin="seed",
                source_hash=text_hash(text),
            )
        )
        added += 1
    session.flush()
    return DirectorySeedReport(created, added)
