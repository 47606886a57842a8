"""Length limits and button data."""

from __future__ import annotations

from bot.channels.telegram.messages import MAX_CALLBACK_BYTES, MAX_TEXT, callback_data, keyboard, split_text
from bot.conversations.service import tracker_engine_url


def test_short_text_is_one_message() -> None:
    assert split_text("  Hallo\n\nWelt ") == ["Hallo\n\nWelt"]
    assert split_text("   ") == []


def test_long_text_is_split_at_paragraphs() -> None:
    paragraphs = [f"Absatz {i}: " + "x" * 1500 for i in range(6)]
    parts = split_text("\n\n".join(paragraphs))
    assert all(len(p) <= MAX_TEXT for p in parts)
    assert len(parts) == 3
    assert parts[0] == "\n\n".join(paragraphs[:2])
    assert "\n\n".join(parts) == "\n\n".join(paragraphs)


def test_text_without_breaks_is_cut_hard_and_nothing_is_lost() -> None:
    text = "ب" * 10_000
    parts = split_text(text)
    assert [len(p) for p in parts] == [4096, 4096, 1808]
    assert "".join(parts) == text


def test_lines_and_words_are_used_when_there_are_no_paragraphs() -> None:
    text = "\n".join(["word " * 100] * 30)
    parts = split_text(text)
    assert all(len(p) <= MAX_TEXT for p in parts)
    assert all(not p.startswith(" ") and not p.endswith(" ") for p in parts)


def test_callback_data_fits_telegram() -> None:
    short = '/choose_topic{"topic":"family_reunification"}'
    assert callback_data(short) == short
    long = '/choose_topic{"topic":"' + "ä" * 60 + '"}'
    data = callback_data(long)
    assert data.startswith("h:") and len(data.encode()) <= MAX_CALLBACK_BYTES
    assert callback_data(long) == data


def test_keyboard_has_one_button_per_row() -> None:
    markup = keyboard([{"title": "A", "payload": "/a"}, {"title": "B", "payload": "/b"}])
    assert markup is not None
    assert [[b.callback_data for b in row] for row in markup.inline_keyboard] == [["/a"], ["/b"]]
    assert keyboard([]) is None


def test_rasa_tracker_url_opens_with_psycopg3() -> None:
    assert tracker_engine_url("postgresql://u:p@h:5432/rasa") == "postgresql+psycopg://u:p@h:5432/rasa"
    assert tracker_engine_url("sqlite:///var/rasa_tracker.db") == "sqlite:///var/rasa_tracker.db"
