"""The crisis detector: the matcher on small lexicons, the shipped lexicons, and the corpora.

The recall and false-alarm figures here are the detector's alone (the pipeline adds the NLU's
crisis intent); ``tests/integration/test_understanding.py`` measures the whole path.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from bot.config import PROJECT_ROOT
from bot.language.languages import LANGUAGES
from bot.safety.detector import LEXICON_DIR, Detector, Level, get_detector, load_everyday, load_lexicon
from bot.safety.normalise import normalise

EVAL = PROJECT_ROOT / "eval"


def detector(tmp_path: Path, rules: list[dict[str, object]], **extra: object) -> Detector:
    (tmp_path / "en.yml").write_text(
        yaml.safe_dump({"language": "en", "sources": ["test"], "rules": rules, **extra}), encoding="utf-8"
    )
    return Detector.from_directory(tmp_path)


def test_normalisation_folds_marks_letter_forms_digits_and_repeats() -> None:
    assert normalise("Héééélp!!  ME") == "help me"
    assert normalise("أنا خائفة") == normalise("انا خايفه")
    assert normalise("مى") == normalise("می")  # Arabic and Persian yeh
    assert normalise("٣ أيام ۳") == "3 ايام 3"
    assert normalise("Sıla ölür") == "sila olur"


def test_phrases_prefixes_infixes_and_typos(tmp_path: Path) -> None:
    d = detector(
        tmp_path,
        [
            {"kind": "self_harm", "level": "crisis", "any": ["kill myself", "suicid*"]},
            {"kind": "medical", "level": "crisis", "any": ["*bleed*"]},
        ],
    )
    assert d.check("I want to kill myself").crisis
    assert d.check("i want to kil myself").crisis  # repeated letters fold
    assert d.check("thinking about suicide").crisis and d.check("SUICIDAL thoughts").crisis
    assert d.check("it keeps nosebleeding").kinds == ("medical",)
    assert d.check("I want to kill time").level is None
    assert d.check("can I appeal the decision").level is None


def test_word_groups_must_be_near_each_other(tmp_path: Path) -> None:
    d = detector(
        tmp_path,
        [{"kind": "domestic_violence", "all": [["hits", "beats"], ["me", "my kids"]], "within": 3}],
    )
    assert d.check("my husband hits me every night").crisis
    assert d.check("he beats my kids").crisis
    far = "he hits the ball at football training and then later on the way home he calls me"
    assert d.check(far).level is None


def test_unless_keeps_known_harmless_contexts_out(tmp_path: Path) -> None:
    d = detector(
        tmp_path,
        [{"kind": "threat", "level": "hint", "any": ["violence"], "unless": ["criminal record"]}],
    )
    assert d.check("there was violence at home").level == Level.HINT
    assert d.check("does a criminal record for violence matter for naturalisation").level is None


def test_clitic_prefixes_are_stripped(tmp_path: Path) -> None:
    (tmp_path / "ar.yml").write_text(
        yaml.safe_dump(
            {
                "language": "ar",
                "sources": ["test"],
                "prefixes": ["و", "ف"],
                "rules": [{"kind": "domestic_violence", "any": ["يضربني"]}],
            }
        ),
        encoding="utf-8",
    )
    d = Detector.from_directory(tmp_path)
    assert d.check("وهو ويضربني كل يوم").crisis


def test_crisis_wins_over_hint_and_reports_kinds_not_words(tmp_path: Path) -> None:
    d = detector(
        tmp_path,
        [
            {"kind": "threat", "level": "hint", "any": ["threat"]},
            {"kind": "self_harm", "level": "crisis", "any": ["end my life"]},
        ],
    )
    signal = d.check("after the threat I want to end my life")
    assert signal.level == Level.CRISIS and signal.kinds == ("self_harm",)
    assert signal.as_payload() == {"level": "crisis", "kinds": ["self_harm"], "lexicons": ["en"]}


@pytest.mark.parametrize(
    "bad",
    [
        {"kind": "weather", "any": ["rain"]},
        {"kind": "threat", "any": ["x"], "all": [["y"]]},
        {"kind": "threat"},
        {"kind": "threat", "any": ["   "]},
    ],
)
def test_a_broken_lexicon_fails_loudly(tmp_path: Path, bad: dict[str, object]) -> None:
    (tmp_path / "en.yml").write_text(
        yaml.safe_dump({"language": "en", "sources": ["x"], "rules": [bad]}), encoding="utf-8"
    )
    with pytest.raises((ValueError, KeyError)):
        load_lexicon(tmp_path / "en.yml")


def test_every_language_has_a_lexicon_with_sources_and_every_kind() -> None:
    files = {p.stem: p for p in LEXICON_DIR.glob("*.yml")}
    assert set(files) == set(LANGUAGES)
    for code, path in files.items():
        rules, _ = load_lexicon(path)
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert raw["sources"], code
        kinds = {r.kind for r in rules if r.level == Level.CRISIS}
        assert kinds == {
            "domestic_violence",
            "sexual_violence",
            "threat",
            "self_harm",
            "child_danger",
            "medical",
        }, (
            code,
            kinds,
        )


def _phrase_lists(node: object) -> list[list[str]]:
    """Every list of phrases in a lexicon file (``any``, ``unless`` and each word group of ``all``)."""
    if isinstance(node, dict):
        return [lst for value in node.values() for lst in _phrase_lists(value)]
    if isinstance(node, list):
        if node and all(isinstance(item, str) for item in node):
            return [node]
        return [lst for item in node for lst in _phrase_lists(item)]
    return []


@pytest.mark.parametrize("path", sorted(LEXICON_DIR.glob("*.yml")), ids=lambda p: p.stem)
def test_no_phrase_is_listed_twice_in_one_list(path: Path) -> None:
    """A repeated phrase changes no match but hides what a list really holds when it is edited."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    repeated = [
        phrase
        for rule in raw["rules"]
        for phrases in _phrase_lists({k: v for k, v in rule.items() if k in ("any", "all", "unless")})
        for phrase in {p for p in phrases if phrases.count(p) > 1}
    ]
    assert not repeated, repeated


def _corpus(paths: list[Path]) -> list[dict[str, str]]:
    return [
        json.loads(line) for p in paths for line in p.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def _recall_and_alarms(rows: list[dict[str, str]]) -> tuple[float, float, list[str], list[str]]:
    d = get_detector()
    crises = [r for r in rows if r["topic"] == "crisis"]
    ordinary = [r for r in rows if r["topic"] != "crisis"]
    missed = [r["text"] for r in crises if d.check(r["text"]).level is None]
    alarms = [r["text"] for r in ordinary if d.check(r["text"]).level is not None]
    return 1 - len(missed) / len(crises), len(alarms) / len(ordinary), missed, alarms


def test_development_corpus_recall_and_false_alarms() -> None:
    """The corpus the lexicons were written against: they must keep covering it."""
    recall, alarms, missed, _ = _recall_and_alarms(_corpus(sorted((EVAL / "dev").glob("crisis_*.jsonl"))))
    assert recall >= 0.99, missed[:10]
    assert alarms <= 0.05


def test_blind_crisis_corpus_is_caught_by_the_lexicons_alone() -> None:
    """Held-out messages (never used to write the lexicons): the lexicons alone catch more than half
    (58 % when written); the NLU's crisis intent carries the rest in the full path, which
    tests/integration/test_understanding.py holds to the 98 % goal. A guard against lexicon damage."""
    rows = _corpus(sorted((EVAL / "crisis").glob("*.jsonl")))
    recall, _, missed, _ = _recall_and_alarms(rows)
    # Only counts are shown, never the missed texts: the lexicons must not be tuned on this set.
    where = sorted({(r["lang"], r.get("kind", "")) for r in rows if r["text"] in set(missed)})
    print(f"\nblind crisis corpus, lexicons alone: recall {recall:.1%}, missed {len(missed)}")
    assert recall >= 0.55, where


def test_ordinary_questions_rarely_raise_an_alarm() -> None:
    """Every non-crisis training example and every non-crisis evaluation question."""
    texts: list[str] = []
    for path in (PROJECT_ROOT / "nlu_data").rglob("*.yml"):
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
            if block.get("intent") not in (None, "crisis"):
                texts += [
                    x.strip()[2:] for x in str(block["examples"]).splitlines() if x.strip().startswith("- ")
                ]
    rows = [r for r in _corpus([EVAL / "questions.jsonl", *sorted((EVAL / "blind").glob("*.jsonl"))])]
    texts += [r["text"] for r in rows if r["topic"] != "crisis"]
    d = get_detector()
    alarms = [t for t in texts if d.check(t).level is not None]
    crisis_level = [t for t in alarms if d.check(t).crisis]
    print(
        f"\nfalse alarms on {len(texts)} ordinary messages: {len(alarms)} ({len(crisis_level)} crisis level)"
    )
    assert len(alarms) / len(texts) <= 0.01, alarms[:10]
    assert len(crisis_level) / len(texts) <= 0.003, crisis_level[:10]


def test_everyday_words_are_matched_exactly_only(tmp_path: Path) -> None:
    """Typo tolerance stays for words nobody writes on purpose, not for everyday ones that happen to
    be a letter or two away from a crisis word."""
    rules = [
        {"kind": "domestic_violence", "level": "crisis", "all": [["beating"], ["me", "my"]], "within": 4}
    ]
    detector(tmp_path, rules)
    tolerant = Detector.from_directory(tmp_path, everyday=None)
    assert tolerant.check("the heating in my flat").crisis  # 'heating' is one letter from 'beating'
    everyday = tmp_path / "data" / "everyday.yml"
    everyday.parent.mkdir()
    everyday.write_text(yaml.safe_dump({"sources": ["test"], "words": {"en": ["heating"]}}), encoding="utf-8")
    strict = Detector.from_directory(tmp_path, everyday=everyday)
    assert strict.check("the heating in my flat").level is None
    assert strict.check("he is beating me").crisis
    assert strict.check("he is beatting me").crisis  # a misspelt crisis word still matches
    # harmless contexts keep their typo tolerance: 'heating' still reaches the exception 'heatings'
    detector(tmp_path, [{**rules[0], "unless": ["heatings"]}])
    harmless = Detector.from_directory(tmp_path, everyday=everyday)
    assert harmless.check("he is beating me about the heating").level is None


@pytest.mark.parametrize(
    "text",
    [
        "Ich kann den Bescheid nicht verstehen, was will sie von mir?",  # verstehen ~ erstechen
        "Sie müssen persönlich erscheinen, er wird Sie fragen",  # erscheinen ~ erschießen
        "Ich kann das Geld für die Kaution nicht aufbringen, was wird er tun?",  # aufbringen ~ umbringen
        "My brother stays with me, is that allowed?",  # stays ~ stabs
        "he is hiring me for the warehouse job",  # hiring ~ hitting
        "процес триває вже рік, мене чекають у відомстві",  # триває ~ тримає
        "Коли я отримаю відповідь? Він каже, що отримає лист завтра",  # отримає ~ тримає
        "К какому врачу я могу обратиться?",  # обратиться ~ отравиться
        "Bankadan para çekmek istiyorum, bana yardım eder misiniz?",  # çekmek ~ tekme (kick)
        "Mes enfants ont besoin de jouets, il veut me aider",  # jouets ~ fouet (whip)
        # the hand-reviewed words of everyday_words.yml
        "Can the parents still come when the child turns 18 next month?",  # turns ~ burns
        "Коли повнолітні діти можуть переїхати до батьків?",  # повнолітні ~ порно*
    ],
)
def test_everyday_sentences_one_typo_away_from_a_crisis_word_raise_no_alarm(text: str) -> None:
    assert get_detector().check(text).level is None


def test_the_everyday_list_is_data_with_its_source() -> None:
    data = yaml.safe_load(
        (PROJECT_ROOT / "bot" / "safety" / "everyday_words.yml").read_text(encoding="utf-8")
    )
    assert data["sources"] and set(data["words"]) >= {"ar", "de", "en", "fa", "fr", "ru", "tr", "uk"}
    assert "verstehen" in data["words"]["de"] and all(data["words"].values())
    assert "turns" in data["reviewed"]["en"]  # the hand-added section the generator keeps


def test_reviewed_everyday_words_count_like_generated_ones(tmp_path: Path) -> None:
    everyday = tmp_path / "everyday.yml"
    everyday.write_text(
        yaml.safe_dump({"sources": ["test"], "words": {"en": ["heating"]}, "reviewed": {"en": ["Turns"]}}),
        encoding="utf-8",
    )
    assert load_everyday(everyday) == {"heating", "turns"}


@pytest.mark.parametrize(
    "text,crisis",
    [
        ("My son is 3 and I am alone with him, so I cannot go to the German course", False),
        ("the neighbour takes my son to his room and is alone with him", True),  # the grooming rule itself
        ("my husband hits me and I am alone with him", True),  # other rules are not affected
    ],
)
def test_a_parent_alone_with_the_child_is_not_grooming(text: str, crisis: bool) -> None:
    assert get_detector().check(text).crisis is crisis
