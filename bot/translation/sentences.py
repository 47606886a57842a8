"""Rule-based sentence splitting for translation, per language, entirely offline.

Argos translates sentence by sentence and asks MiniSBD to split the text. A package that brings its
own splitter (``minisbd/*.onnx``) uses it; for one that does not, MiniSBD would download a model
from the internet, which fails on the authority's offline machines. For those packages Lotse splits
sentences with the rules below (``bot.translation.argos`` puts them in Argos's place), so no code
path can reach the network.

The rules: a sentence ends after the language's end marks (``.``, ``!``, ``?``, ``…``; Arabic-script
``؟`` and ``۔``; Ethiopic ``።`` ``፧`` ``፨`` for Tigrinya; Armenian, Devanagari, CJK marks), plus
closing quotes and brackets, when whitespace or the end follows; marks that are not followed by a
space in the script's usage (Ethiopic, CJK) end a sentence on their own. A full stop after a known
abbreviation (``z. B.``, ``Nr.``, ``Dr.``, ``e.g.``), a single letter or a number (``3. Oktober``)
does not end a sentence. Line breaks always end one.
"""

from __future__ import annotations

import re
from functools import lru_cache

_LATIN = ".!?…"
_ARABIC_SCRIPT = ".!?…؟۔"
_ETHIOPIC_SPACELESS = "።፧፨"
_END_MARKS: dict[str, tuple[str, str]] = {
    # language: (marks that need whitespace after them, marks that end a sentence on their own)
    "ar": (_ARABIC_SCRIPT, ""),
    "fa": (_ARABIC_SCRIPT, ""),
    "ps": (_ARABIC_SCRIPT, ""),
    "ur": (_ARABIC_SCRIPT, ""),
    "ku": (_ARABIC_SCRIPT, ""),  # Sorani in Arabic script, Kurmanji in Latin: both marks
    "ti": (_LATIN, _ETHIOPIC_SPACELESS),
    "am": (_LATIN, _ETHIOPIC_SPACELESS),
    "hy": (_LATIN + "։", ""),
    "hi": (_LATIN + "।", ""),
    "zh": ("", "。！？!?"),
    "ja": ("", "。！？!?"),
}
_DEFAULT = (_LATIN, "")
_CLOSERS = "\"'»«”“’)]}›‹"
_ABBREVIATIONS = frozenset(
    {
        "z",
        "b",
        "bzw",
        "ca",
        "dr",
        "nr",
        "str",
        "tel",
        "u",
        "a",
        "usw",
        "vgl",
        "ggf",
        "evtl",
        "inkl",
        "sog",
        "abs",
        "art",
        "abt",
        "hr",
        "fr",
        "prof",
        "st",
        "mr",
        "mrs",
        "ms",
        "e",
        "g",
        "i",
        "etc",
        "vs",
        "no",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "okt",
        "oct",
        "nov",
        "dez",
        "dec",
    }
)


@lru_cache(maxsize=32)
def _boundary(language: str) -> re.Pattern[str]:
    spaced, alone = _END_MARKS.get(language.split("-")[0].lower(), _DEFAULT)
    closers = re.escape(_CLOSERS)
    parts = []
    if spaced:
        parts.append(f"[{re.escape(spaced)}]+[{closers}]*(?=\\s|$)")
    if alone:
        parts.append(f"[{re.escape(alone)}]+[{closers}]*")
    return re.compile("|".join(parts))


def _no_end(text: str, mark_at: int) -> bool:
    """A full stop that belongs to an abbreviation, an initial or a number, not to a sentence's end."""
    if text[mark_at] != ".":
        return False
    word = re.search(r"(\w+)$", text[:mark_at])
    if word is None:
        return False
    token = word.group(1)
    return token.isdigit() or len(token) == 1 or token.lower() in _ABBREVIATIONS


def split_sentences(text: str, language: str) -> list[str]:
    """The sentences of ``text`` (stripped, none empty) by the rules of ``language``."""
    pattern = _boundary(language)
    sentences: list[str] = []
    for line in text.splitlines():
        start = 0
        for match in pattern.finditer(line):
            if _no_end(line, match.start()) and match.end() - match.start() == 1:
                continue
            sentences.append(line[start : match.end()])
            start = match.end()
        sentences.append(line[start:])
    return [s.strip() for s in sentences if s.strip()]
