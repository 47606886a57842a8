"""Review status (reviewed / machine draft / outdated / missing), review dates and the overdue notice."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.orm import Session

from admin_api.review.service import mark_served_reviewed, store_report
from bot.cli import main
from bot.config import PROJECT_ROOT
from bot.content.render import render
from bot.content.review import ReviewState, file_report, mark_reviewed, translation_state
from bot.content.service import load_catalog, seed, set_text
from bot.content.status_file import ReviewRecord, load_status, text_hash, write_status
from bot.db import make_engine
from bot.language.languages import BEST_EFFORT_LANGUAGES, REQUIRED_LANGUAGES

CATALOG = load_catalog()

MINI_CATALOG = """\
items:
  utter_faq_x/a:
    kind: faq
    topic: housing
    as_of: "2026-01-10"
    review_by: "2026-07-10"
    sources:
      - {title: "§ 551 BGB", url: "https://www.gesetze-im-internet.de/bgb/__551.html"}
  utter_greet: {kind: fixed, topic: other}
"""


def _language_file(directory: Path, language: str, texts: dict[str, str]) -> None:
    body = "".join(f"  {key}: {json.dumps(value, ensure_ascii=False)}\n" for key, value in texts.items())
    (directory / f"{language}.yml").write_text(f"language: {language}\nresponses:\n{body}", encoding="utf-8")


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    """A catalogue with one factual item and one fixed turn, in German, English and Arabic."""
    (tmp_path / "_catalog.yml").write_text(MINI_CATALOG, encoding="utf-8")
    _language_file(tmp_path, "de", {"utter_faq_x/a": "Kaution: 3 Monate.", "utter_greet": "Hallo"})
    _language_file(tmp_path, "en", {"utter_faq_x/a": "Deposit: 3 months.", "utter_greet": "Hello"})
    _language_file(tmp_path, "ar", {"utter_faq_x/a": "التأمين: 3 أشهر.", "utter_greet": "مرحبا"})
    return tmp_path


def _states(directory: Path, key: str, today: date = date(2026, 3, 1)) -> dict[str, ReviewState]:
    return next(i.languages for i in file_report(directory, today=today).items if i.key == key)


def test_translation_state_covers_the_four_cases() -> None:
    assert (
        translation_state(has_text=False, source_hash=None, current_source_hash="a", machine=False)
        == "missing"
    )
    assert (
        translation_state(has_text=True, source_hash="a", current_source_hash="a", machine=False)
        == "reviewed"
    )
    assert translation_state(has_text=True, source_hash="a", current_source_hash="a", machine=True) == (
        "machine draft"
    )
    assert (
        translation_state(has_text=True, source_hash="a", current_source_hash="b", machine=True) == "outdated"
    )
    assert translation_state(has_text=True, source_hash=None, current_source_hash="b", machine=False) == (
        "outdated"
    )


def test_hash_ignores_whitespace_only() -> None:
    assert text_hash("Frist:  1 Woche\n") == text_hash("Frist: 1 Woche")
    assert text_hash("Frist: 1 Woche") != text_hash("Frist: 2 Wochen")


def test_unreviewed_translations_are_outdated_until_marked_and_again_after_a_german_change(
    mini: Path,
) -> None:
    assert _states(mini, "utter_faq_x/a")["en"] == ReviewState.OUTDATED
    marked = mark_reviewed(["utter_faq_x/a"], None, by="reviewer", on=date(2026, 3, 1), directory=mini)
    assert marked == [("utter_faq_x/a", "en"), ("utter_faq_x/a", "ar")]
    states = _states(mini, "utter_faq_x/a")
    assert states["de"] == states["en"] == states["ar"] == ReviewState.REVIEWED
    assert load_status(mini)["utter_faq_x/a"]["ar"] == ReviewRecord(
        source=text_hash("Kaution: 3 Monate."), by="reviewer", on=date(2026, 3, 1)
    )

    _language_file(mini, "de", {"utter_faq_x/a": "Kaution: höchstens 3 Monate.", "utter_greet": "Hallo"})
    states = _states(mini, "utter_faq_x/a")
    assert states["en"] == states["ar"] == ReviewState.OUTDATED and states["de"] == ReviewState.REVIEWED


def test_missing_languages_machine_drafts_and_overdue_items_are_counted(mini: Path) -> None:
    mark_reviewed(["utter_faq_x/a", "utter_greet"], ["en"], by="r", on=date(2026, 3, 1), directory=mini)
    status = load_status(mini)
    status["utter_faq_x/a"]["ar"] = ReviewRecord(source=text_hash("Kaution: 3 Monate."), machine=True)
    write_status(status, mini)

    before = file_report(mini, today=date(2026, 7, 10)).as_json()
    after = file_report(mini, today=date(2026, 7, 11)).as_json()
    assert (before["overdue"], after["overdue"]) == (0, 1)
    assert before["machine_draft"] == 1
    assert before["outdated"] == 1  # utter_greet in Arabic: never reviewed
    # the factual item lacks 5 required languages, the fixed turn 5 required + 4 best-effort ones
    assert before["missing"] == (len(REQUIRED_LANGUAGES) - 3) * 2 + len(BEST_EFFORT_LANGUAGES)
    assert all(isinstance(before[k], int) for k in ("outdated", "overdue", "missing"))


def test_mark_reviewed_refuses_german_unknown_keys_and_absent_texts(mini: Path) -> None:
    with pytest.raises(ValueError, match="German is the source"):
        mark_reviewed(["utter_greet"], ["de"], by="r", on=date(2026, 3, 1), directory=mini)
    with pytest.raises(KeyError):
        mark_reviewed(["utter_nope"], ["en"], by="r", on=date(2026, 3, 1), directory=mini)
    with pytest.raises(ValueError, match="no fr text"):
        mark_reviewed(["utter_greet"], ["fr"], by="r", on=date(2026, 3, 1), directory=mini)
    with pytest.raises(ValueError, match="who reviewed"):
        mark_reviewed(["utter_greet"], ["en"], by=" ", on=date(2026, 3, 1), directory=mini)
    assert load_status(mini) == {}


def test_cli_status_json_and_mark_reviewed(mini: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["content", "status", "--json", "--translations", str(mini), "--today", "2026-08-01"]
    assert main(base) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["overdue"] == 1 and report["outdated"] == 4
    assert {i["key"] for i in report["items"]} == {"utter_faq_x/a", "utter_greet"}
    assert main([*base, "--check"]) == 1
    capsys.readouterr()

    args = ["content", "mark-reviewed", "utter_faq_x/a", "utter_greet", "--lang", "all", "--by", "A. Muster"]
    assert main([*args, "--translations", str(mini), "--today", "2026-08-01"]) == 0
    assert "marked 4 translations" in capsys.readouterr().out
    assert main(base) == 0
    assert json.loads(capsys.readouterr().out)["outdated"] == 0

    assert main(["content", "status", "--translations", str(mini), "--today", "2026-08-01"]) == 0
    table = capsys.readouterr().out
    assert "utter_faq_x/a" in table and "2026-07-10!" in table and "0 outdated, 1 overdue" in table


def test_repository_translations_are_neither_outdated_nor_missing() -> None:
    """Every translation in translations/ was checked against the current German text.

    Fails after a German text changes until its translations are checked and marked reviewed
    (``lotse content mark-reviewed KEY --lang ... --by ...``).
    """
    report = file_report(today=date(2000, 1, 1))
    problems = {
        item.key: {
            lang: state.value for lang, state in item.languages.items() if state != ReviewState.REVIEWED
        }
        for item in report.items
        if any(s in (ReviewState.OUTDATED, ReviewState.MISSING) for s in item.languages.values())
    }
    assert not problems, f"run `lotse content status`: {problems}"


# ---------------------------------------------------------------------- review dates in the catalogue


def test_every_factual_item_has_its_own_check_and_review_date() -> None:
    for key, entry in CATALOG.items():
        if entry.kind.value != "faq":
            assert entry.review_by is None, key
            continue
        assert entry.as_of is not None and entry.review_by is not None, key
        assert entry.as_of < entry.review_by <= entry.as_of + timedelta(days=184), (
            f"{key}: review_by must be after as_of and at most 6 months later"
        )


def test_items_tied_to_a_changing_law_are_reviewed_sooner() -> None:
    for key in (
        "utter_faq_appeal/deadline",
        "utter_faq_appeal/manifestly_unfounded",
        "utter_faq_appeal/dublin",
        "utter_faq_appeal/during_lawsuit",
        "utter_faq_family/subsidiary_protection",
        "utter_faq_housing/jobcenter_rent",
    ):
        entry = CATALOG[key]
        assert entry.as_of and entry.review_by, key
        assert entry.review_by <= entry.as_of + timedelta(days=92), key


def test_sources_have_titles_and_legal_paragraphs_link_to_the_law() -> None:
    for key, entry in CATALOG.items():
        for source in entry.sources:
            assert source.title.strip(), key
            assert source.url is None or source.url.startswith(("https://", "http://")), (key, source)
            federal = any(f" {law}" in source.title for law in ("AufenthG", "AsylG", "VwGO", "SGB II", "BGB"))
            if source.title.startswith("§") and federal:
                assert source.url and "gesetze-im-internet.de" in source.url, (key, source)


def test_the_overdue_notice_is_no_rasa_response() -> None:
    domain = (PROJECT_ROOT / "assistant" / "domain" / "responses.yml").read_text(encoding="utf-8")
    assert "meta_review_overdue" in CATALOG and "meta_review_overdue" not in domain


# ---------------------------------------------------------------------- answers


KEY = "utter_faq_housing/deposit"


def test_an_answer_shows_its_own_date_and_no_notice_until_review_by(session: Session) -> None:
    seed(session)
    entry = CATALOG[KEY]
    assert entry.as_of and entry.review_by
    reply = render(session, key=KEY, language="de", today=entry.review_by)
    assert f"Stand: \u2068{entry.as_of.isoformat()}\u2069" in reply.text
    assert "zur erneuten Prüfung fällig" not in reply.text
    church = CATALOG["utter_faq_appeal/church_asylum"]
    assert church.as_of and church.as_of != entry.as_of
    other = render(session, key="utter_faq_appeal/church_asylum", language="de", today=entry.review_by)
    assert church.as_of.isoformat() in other.text and entry.as_of.isoformat() not in other.text


def test_an_overdue_answer_still_goes_out_and_asks_to_confirm_with_counselling(session: Session) -> None:
    seed(session)
    review_by = CATALOG[KEY].review_by
    assert review_by
    day_after = review_by + timedelta(days=1)
    de = render(session, key=KEY, language="de", today=day_after)
    assert "zur erneuten Prüfung fällig" in de.text and "Beratungsstelle bestätigen" in de.text
    assert de.text.startswith(render(session, key=KEY, language="de", today=review_by).text.split("\n\n")[0])
    ar = render(session, key=KEY, language="ar", today=day_after)
    assert "مركز استشارة" in ar.text and ar.language == "ar"
    greeting = render(session, key="utter_greet", language="de", today=day_after)
    assert "Prüfung fällig" not in greeting.text


# ---------------------------------------------------------------------- the content store


def test_store_tracks_outdated_translations_and_minor_edits(session: Session) -> None:
    seed(session)
    today = date(2026, 12, 1)

    def states() -> dict[str, ReviewState]:
        return next(i.languages for i in store_report(session, today=today).items if i.key == "utter_thanks")

    assert states()["ar"] == ReviewState.REVIEWED
    set_text(
        session, key="utter_thanks", language="de", text="Gern geschehen!", origin="test", minor_edit=True
    )
    assert states()["ar"] == ReviewState.REVIEWED
    set_text(session, key="utter_thanks", language="de", text="Bitte sehr, gern.", origin="test")
    assert states()["ar"] == states()["en"] == ReviewState.OUTDATED
    mark_served_reviewed(session, key="utter_thanks", language="ar")
    assert states()["ar"] == ReviewState.REVIEWED and states()["en"] == ReviewState.OUTDATED
    set_text(session, key="utter_thanks", language="en", text="You're welcome.", origin="test")
    assert states()["en"] == ReviewState.REVIEWED
    set_text(
        session, key="utter_thanks", language="fr", text="De rien.", origin="mt:test", machine_translated=True
    )
    # the served French text is the reviewed one made from the old German text, not the newer draft
    assert states()["fr"] == ReviewState.OUTDATED
    with pytest.raises(ValueError, match="German"):
        mark_served_reviewed(session, key="utter_thanks", language="de")


def test_migration_turns_old_string_sources_into_objects(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.attributes["url"] = url
    cfg.attributes["configure_logger"] = False
    command.upgrade(cfg, "0002")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO content_items (key, kind, topic, sources, as_of, updated_at) VALUES "
                "('utter_faq_x/a', 'FAQ', 'housing', '[\"§ 551 BGB\"]', '2026-01-01', '2026-01-01 00:00:00')"
            )
        )
    command.upgrade(cfg, "head")
    with engine.begin() as conn:
        sources, review_by = conn.execute(text("SELECT sources, review_by FROM content_items")).one()
    engine.dispose()
    assert json.loads(sources) == [{"title": "§ 551 BGB"}] and review_by is None
