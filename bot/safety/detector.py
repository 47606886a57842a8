"""Crisis detection in front of the model: per-language lexicons (data files), typo-tolerant.

Every message is matched against the lexicons of all languages (people mix languages, write
Arabic in Latin letters, and the detected language can be wrong); a lexicon names its own
language only for reporting. A rule fires at one of two levels:

* ``crisis`` — the person or someone else is in danger now: the pipeline answers with the crisis
  numbers first and opens an urgent case, without asking the model;
* ``hint`` — crisis words in what is probably an ordinary question: the answer goes out as usual,
  with the crisis numbers in front of it (a false alarm costs less than a missed crisis).

Lexicon files (``lexicons/<lang>.yml``)::

    language: en
    sources: [...]            # where the wording was studied
    prefixes: [...]           # optional clitics stripped from a word's start (Arabic و ف ب ...)
    rules:
      - kind: self_harm       # domestic_violence, sexual_violence, threat, self_harm, child_danger, medical
        level: crisis         # or hint
        any: ["kill myself", "suicid*"]         # phrases; one is enough
      - kind: domestic_violence
        level: crisis
        all: [["hit*", "beat*"], ["me", "my kids"]]   # one phrase of every group ...
        within: 6                                     # ... within this many words (default 8)
        unless: ["criminal record"]                   # never fires when one of these is present

A phrase is a sequence of words. ``word*`` matches words starting with ``word``, ``*word*``
words containing it. Words of five letters or more also match with one typo (two from nine
letters): an insertion, deletion, substitution or swap of neighbours.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

import yaml
from rapidfuzz.distance import OSA

from bot.safety.normalise import normalise

LEXICON_DIR = Path(__file__).with_name("lexicons")
EVERYDAY_FILE = Path(__file__).with_name("everyday_words.yml")
"""Frequent words matched exactly only (``scripts/everyday_words.py``): "отримає" is not "тримає"."""
KINDS = frozenset({"domestic_violence", "sexual_violence", "threat", "self_harm", "child_danger", "medical"})
DEFAULT_WINDOW = 8
MIN_FUZZY_LEN = 5
LONG_WORD_LEN = 9
"""From this length on, two typos are forgiven."""


class Level(StrEnum):
    CRISIS = "crisis"
    HINT = "hint"


@dataclass(frozen=True, slots=True)
class Term:
    """One word of a phrase."""

    text: str
    prefix: bool = False
    infix: bool = False

    @classmethod
    def parse(cls, raw: str) -> Term:
        infix = raw.startswith("*") and raw.endswith("*") and len(raw) > 2
        prefix = raw.endswith("*") and not infix
        word = normalise(raw.strip("*"))
        if not word or " " in word:
            raise ValueError(f"bad lexicon word {raw!r}")
        return cls(word, prefix=prefix, infix=infix)


Phrase = tuple[Term, ...]


@dataclass(frozen=True, slots=True)
class Rule:
    language: str
    kind: str
    level: Level
    groups: tuple[tuple[Phrase, ...], ...]
    """``any`` is one group; ``all`` is several, each of which must match."""
    within: int = DEFAULT_WINDOW
    unless: tuple[Phrase, ...] = ()


@dataclass(frozen=True, slots=True)
class Signal:
    """What the detector found in one message."""

    level: Level | None = None
    kinds: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()

    @property
    def crisis(self) -> bool:
        return self.level == Level.CRISIS

    def as_payload(self) -> dict[str, object] | None:
        """Stored with the message: the level and kinds, never the matched words."""
        if self.level is None:
            return None
        return {"level": self.level.value, "kinds": list(self.kinds), "lexicons": list(self.languages)}


def _phrase(raw: str) -> Phrase:
    parts = str(raw).split()
    if not parts:
        raise ValueError("empty lexicon phrase")
    return tuple(Term.parse(p) for p in parts)


def load_lexicon(path: Path) -> tuple[list[Rule], list[str]]:
    """Rules and clitic prefixes of one lexicon file (strictly checked: a typo in data fails loudly)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    language = str(raw["language"])
    if path.stem != language:
        raise ValueError(f"{path} declares language {language!r}")
    if not raw.get("sources"):
        raise ValueError(f"{path}: sources are required")
    rules = []
    for n, item in enumerate(raw["rules"], 1):
        kind = str(item["kind"])
        if kind not in KINDS:
            raise ValueError(f"{path} rule {n}: unknown kind {kind!r}")
        if ("any" in item) == ("all" in item):
            raise ValueError(f"{path} rule {n}: give either 'any' or 'all'")
        groups_raw = [item["any"]] if "any" in item else item["all"]
        groups = tuple(tuple(_phrase(p) for p in group) for group in groups_raw)
        if not all(groups):
            raise ValueError(f"{path} rule {n}: empty group")
        rules.append(
            Rule(
                language=language,
                kind=kind,
                level=Level(item.get("level", "crisis")),
                groups=groups,
                within=int(item.get("within", DEFAULT_WINDOW)),
                unless=tuple(_phrase(p) for p in item.get("unless", [])),
            )
        )
    prefixes = [normalise(p) for p in raw.get("prefixes", [])]
    return rules, [p for p in prefixes if p]


def load_everyday(path: Path) -> frozenset[str]:
    """The normalised words of ``everyday_words.yml`` (all languages): the generated ``words`` and the
    ``reviewed`` ones, added by hand for a false alarm the word-frequency list cannot catch."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    sections = (data.get("words") or {}, data.get("reviewed") or {})
    return frozenset(normalise(w) for section in sections for words in section.values() for w in words)


def _deletions(word: str, depth: int) -> set[str]:
    """``word`` and every string made from it by deleting up to ``depth`` letters."""
    found = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        found |= frontier
    return found


def _typos_allowed(word: str) -> int:
    return 2 if len(word) >= LONG_WORD_LEN else 1


@dataclass
class Detector:
    """All lexicons, indexed for matching; build once (:func:`get_detector`), then call :meth:`check`.

    Typo tolerance uses a symmetric deletion index (as SymSpell does): two words within edit
    distance k share a string obtained by deleting at most k letters from each, so candidates are
    found by lookups and only those are compared (OSA distance). A message is first reduced to the
    lexicon terms it contains; only rules whose every group can match are then checked in order.
    """

    rules: list[Rule]
    prefixes: list[str] = field(default_factory=list)
    everyday: frozenset[str] = frozenset()
    """Words of everyday language that typo tolerance must not turn into lexicon words."""

    def __post_init__(self) -> None:
        terms = {t for rule in self.rules for group in (*rule.groups, rule.unless) for p in group for t in p}
        firing = {t for rule in self.rules for group in rule.groups for p in group for t in p}
        # words only harmless contexts use: an everyday word may still reach them with a typo
        self._context_only = {t.text for t in terms - firing}
        self._exact_terms = {t.text: t for t in terms if not t.prefix and not t.infix}
        self._stem_terms = {t.text: t for t in terms if t.prefix}
        # infix terms by their first two letters: a word is only searched for those whose pair it has
        self._infix_by_pair: dict[str, list[Term]] = defaultdict(list)
        for t in terms:
            if t.infix:
                self._infix_by_pair[t.text[:2]].append(t)
        # each rule under the terms of its first group's phrases: a message only wakes the rules
        # one of whose first-group phrases is wholly present
        self._rules_by_term: dict[Term, list[int]] = defaultdict(list)
        for n, rule in enumerate(self.rules):
            for phrase in rule.groups[0]:
                self._rules_by_term[phrase[0]].append(n)
        self._stem_lengths = sorted({len(s) for s in self._stem_terms})
        # deletion index of the words typos are forgiven for (5+ letters; 2 typos from 9 letters)
        self._exact_index: dict[str, set[str]] = defaultdict(set)
        for word in self._exact_terms:
            if len(word) >= MIN_FUZZY_LEN:
                for variant in _deletions(word, 2 if len(word) >= LONG_WORD_LEN - 2 else 1):
                    self._exact_index[variant].add(word)
        self._stem_index: dict[str, set[str]] = defaultdict(set)
        for stem in self._stem_terms:
            if len(stem) >= MIN_FUZZY_LEN:
                for variant in _deletions(stem, 1):
                    self._stem_index[variant].add(stem)
        self._prefixes = sorted(set(self.prefixes), key=len, reverse=True)

    @classmethod
    def from_directory(cls, directory: Path = LEXICON_DIR, everyday: Path | None = EVERYDAY_FILE) -> Detector:
        rules: list[Rule] = []
        prefixes: list[str] = []
        for path in sorted(directory.glob("*.yml")):
            file_rules, file_prefixes = load_lexicon(path)
            rules += file_rules
            prefixes += file_prefixes
        return cls(rules, prefixes, load_everyday(everyday) if everyday else frozenset())

    # ------------------------------------------------------------------ matching

    def _near(self, index: dict[str, set[str]], word: str, allowed: int, limit: int) -> list[str]:
        """Indexed words within ``allowed`` typos (OSA distance) of ``word``, closest first."""
        candidates = {c for v in _deletions(word, allowed) for c in index.get(v, ())}
        scored = sorted((OSA.distance(word, c), c) for c in candidates)
        return [c for d, c in scored if d <= allowed][:limit]

    def _forms(self, word: str) -> tuple[set[str], set[str], set[str]]:
        """The word and its clitic-free forms; the exact lexicon words and the stem-led forms it is
        within the forgiven typos of."""
        base = {word}
        for p in self._prefixes:
            if word.startswith(p) and len(word) - len(p) >= 2:
                base.add(word[len(p) :])
        near: set[str] = set()
        stemmed: set[str] = set()
        for w in base:
            if len(w) < MIN_FUZZY_LEN:
                continue
            if w in self.everyday:  # no typo reaches a word that makes a rule fire
                near.update(
                    c
                    for c in self._near(self._exact_index, w, _typos_allowed(w), limit=3)
                    if c in self._context_only
                )
                continue
            near.update(self._near(self._exact_index, w, _typos_allowed(w), limit=3))
            for n in self._stem_lengths:
                if n < MIN_FUZZY_LEN or n > len(w):
                    continue
                head = w[:n]
                stemmed.update(
                    s + w[n:] for s in self._near(self._stem_index, head, 1, limit=2) if len(s) == n
                )
        return base, near, stemmed

    def _terms_at(self, word: str) -> frozenset[Term]:
        """The lexicon terms one word matches. Typos are forgiven for whole words and stems; an
        ``*infix*`` term must stand in the word itself (or without its clitic)."""
        base, near, stemmed = self._forms(word)
        found = {self._exact_terms[f] for f in base | near if f in self._exact_terms}
        for f in base | stemmed:
            found.update(self._stem_terms[f[:k]] for k in range(1, len(f) + 1) if f[:k] in self._stem_terms)
        for f in base:
            pairs = {f[i : i + 2] for i in range(len(f) - 1)} or {f}
            found.update(t for pair in pairs for t in self._infix_by_pair.get(pair, ()) if t.text in f)
        return frozenset(found)

    @staticmethod
    def _positions(phrase: Phrase, matched: Sequence[frozenset[Term]]) -> list[int]:
        """Start positions where ``phrase`` matches consecutive words."""
        n = len(phrase)
        return [
            i
            for i in range(len(matched) - n + 1)
            if all(term in matched[i + k] for k, term in enumerate(phrase))
        ]

    def _fires(self, rule: Rule, matched: Sequence[frozenset[Term]], present: frozenset[Term]) -> bool:
        possible = [[p for p in group if present.issuperset(p)] for group in rule.groups]
        if not all(possible):
            return False
        if any(present.issuperset(p) and self._positions(p, matched) for p in rule.unless):
            return False
        hits = [sorted({i for p in group for i in self._positions(p, matched)}) for group in possible]
        if not all(hits):
            return False
        if len(hits) == 1:
            return True
        # every group within `within` words of the first group's match
        return any(all(any(abs(j - i) <= rule.within for j in other) for other in hits[1:]) for i in hits[0])

    def check(self, text: str) -> Signal:
        """The strongest signal in ``text`` (no signal for ordinary text)."""
        words = normalise(text).split()[:400]
        if not words:
            return Signal()
        matched = [self._terms_at(w) for w in words]
        present = frozenset().union(*matched)
        if not present:
            return Signal()
        woken = sorted({n for term in present for n in self._rules_by_term.get(term, ())})
        fired = [r for r in (self.rules[n] for n in woken) if self._fires(r, matched, present)]
        if not fired:
            return Signal()
        level = Level.CRISIS if any(r.level == Level.CRISIS for r in fired) else Level.HINT
        top = [r for r in fired if r.level == level]
        return Signal(
            level=level, kinds=_unique(r.kind for r in top), languages=_unique(r.language for r in top)
        )


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


@lru_cache(maxsize=1)
def get_detector() -> Detector:
    """The detector over the shipped lexicons, built once per process."""
    return Detector.from_directory()


def check(text: str) -> Signal:
    """Crisis signal of one message (see :class:`Detector`)."""
    return get_detector().check(text)
