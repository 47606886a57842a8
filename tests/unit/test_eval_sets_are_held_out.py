"""No evaluation text is training data, and the development split stays apart from both."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import yaml

from bot.config import PROJECT_ROOT

EVAL = PROJECT_ROOT / "eval"
_NON_WORD = re.compile(r"[\W_]+")


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    return _NON_WORD.sub(" ", text).strip()


def _training_examples() -> set[str]:
    found: set[str] = set()
    for path in (PROJECT_ROOT / "nlu_data").rglob("*.yml"):
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
            for line in str(block.get("examples") or "").splitlines():
                line = line.strip()
                if line.startswith("- "):
                    text = re.sub(r"\[([^\]]*)\]\([^)]*\)|\[([^\]]*)\]\{[^}]*\}", r"\1\2", line[2:])
                    found.add(_norm(text))
    return found


def _texts(paths: list[Path]) -> dict[str, str]:
    return {
        _norm(json.loads(line)["text"]): str(path.relative_to(PROJECT_ROOT))
        for path in paths
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    }


def test_no_evaluation_text_is_a_training_example() -> None:
    evaluation = _texts(
        [
            EVAL / "questions.jsonl",
            *sorted((EVAL / "blind").glob("*.jsonl")),
            *sorted((EVAL / "crisis").glob("*.jsonl")),
        ]
    )
    training = _training_examples()
    leaked = sorted((t, f) for t, f in evaluation.items() if t in training and len(t.split()) > 2)
    assert not leaked, leaked[:10]


def test_the_development_split_is_neither_training_nor_evaluation_data() -> None:
    dev = _texts(sorted((EVAL / "dev").glob("*.jsonl")))
    assert dev, "eval/dev is the split the thresholds and lexicons are tuned on"
    evaluation = _texts(
        [
            EVAL / "questions.jsonl",
            *sorted((EVAL / "blind").glob("*.jsonl")),
            *sorted((EVAL / "crisis").glob("*.jsonl")),
        ]
    )
    assert not sorted(set(dev) & set(evaluation))[:10]
    training = _training_examples()
    in_training = sorted(t for t in dev if t in training and len(t.split()) > 2)
    assert not in_training[:10]
