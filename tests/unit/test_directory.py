"""Counselling near me: place names to districts, the directory in the content store, the flow,
the district memory and the question log's coarse region. On the small fixture directory in
tests/unit/data/directory/ (five real districts; every service entry there is invented)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.analytics.models import QuestionLog
from bot.analytics.service import district_counts, top_items, top_questions
from bot.cli import main
from bot.config import Settings, get_settings
from bot.content.models import ContentItem, ContentKind, ContentTranslation
from bot.content.render import render
from bot.content.service import resolve, seed, set_text
from bot.conversations.models import Conversation, Direction, Message, MessageStatus
from bot.conversations.service import erase_conversation
from bot.db import make_engine, session_scope
from bot.directory import loader
from bot.directory.loader import load_directory
from bot.directory.service import format_entry, match_town, nearest_district, seed_directory, services_for
from bot.guided import service as guided
from bot.guided.counselling import STARTER, location_answer
from bot.guided.models import DONE, GuidedFlow
from bot.guided.payloads import flow_payload, start_payload
from bot.pipeline import Assistant, Incoming
from tests.conftest import make_settings, migrate
from tests.unit.guided_chat import Chat as GuidedChat
from tests.unit.question_log import log_housing_question

FIXTURES = Path(__file__).parent / "data" / "directory"
GOTHA_ABH = "TEST Ausländerbehörde Gotha"
GOTHA_MBE = "TEST Migrationsberatung Gotha"
STATE = "TEST Landesweite Beratung"


@pytest.fixture(autouse=True)
def fixture_directory(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(loader, "DATA_DIR", FIXTURES)
    return FIXTURES


@pytest.fixture
def seeded(session: Session) -> Session:
    seed(session)
    seed_directory(session)
    return session


# ------------------------------------------------------------------------------------ matching


@pytest.mark.parametrize(
    ("text", "district"),
    [
        ("Erfurt", "erfurt"),
        ("ERFURT", "erfurt"),
        ("Erfurth", "erfurt"),  # typo
        ("erfrut", "erfurt"),  # letters swapped
        ("Saalfeld-Rudolstadt", "saalfeld-rudolstadt"),
        ("saalfeld rudolstadt", "saalfeld-rudolstadt"),
        ("Rudolstadt", "saalfeld-rudolstadt"),  # a municipality of the district
        ("Ich wohne in Eisenach", "wartburgkreis"),  # part of the Wartburgkreis
        ("bad salzungen", "wartburgkreis"),
        ("Waltershausn", "gotha"),
        ("Beratung in Gotha?", "gotha"),
        ("Эрфурт", "erfurt"),  # Russian
        ("Ерфурт", "erfurt"),  # Ukrainian
        ("Я живу в Йене", "jena"),
        ("Гота", "gotha"),
        ("أين أجد استشارة في ايرفورت", "erfurt"),
        ("في إرفورت", "erfurt"),  # hamza variant
        ("بإرفورت", "erfurt"),  # with the prefix bi-
        ("ارفوت", "erfurt"),  # Arabic-script typo
        ("مشاوره در گوتا", "gotha"),  # Persian gaf
        ("Gotha'da danışmanlık var mı?", "gotha"),
        ("Saalfeld", "saalfeld-rudolstadt"),  # short for Saalfeld/Saale
        ("Apfelstädt", "gotha"),  # a part of Nesse-Apfelstädt
        ("Siebleben", "gotha"),  # an Ortsteil (localities)
    ],
)
def test_a_town_is_found_despite_typos_scripts_and_sentences(text: str, district: str) -> None:
    found = match_town(text, answer=True)
    assert found is not None and found.key == district


@pytest.mark.parametrize(
    ("text", "district"),
    [
        ("Beratung in Gotha?", "gotha"),
        ("Ich wohne in Waltershausen, wo finde ich Beratung?", "gotha"),
        ("Я живу в Йене, где консультация", "jena"),
        ("أين أجد استشارة في ايرفورت", "erfurt"),
        ("counselling near Waltershausn please, I need help", "gotha"),  # 1 typo in a long name
        ("Beratung in Erfurth bitte, ich brauche Hilfe", None),  # short name: no typo inside a sentence
        ("the letter says Gerra is the court", None),
    ],
)
def test_inside_a_sentence_only_long_names_may_have_a_typo(text: str, district: str | None) -> None:
    found = match_town(text)
    assert (found.key if found else None) == district


@pytest.mark.parametrize(
    "text",
    [
        "Berlin",
        "ich suche eine Beratung",
        "Testdorf",  # (invented) in two districts: ambiguous
        "Gotha oder Erfurt",  # two districts
        "",
        "12345",
    ],
)
def test_unknown_or_ambiguous_places_give_none(text: str) -> None:
    assert match_town(text) is None


def test_nearest_district_by_the_seats() -> None:
    near_erfurt = nearest_district(50.99, 11.05)
    near_eisenach = nearest_district(50.975, 10.32)  # Eisenach: Wartburgkreis (seat Bad Salzungen)
    assert near_erfurt is not None and near_erfurt.key == "erfurt"
    assert near_eisenach is not None and near_eisenach.key == "wartburgkreis"
    assert nearest_district(52.52, 13.40) is None  # Berlin is nowhere near


# ------------------------------------------------------------------------------------ the files


def test_the_fixture_directory_loads_and_is_checked(tmp_path: Path) -> None:
    known = load_directory(FIXTURES)
    assert [d.key for d in known.districts][:2] == ["erfurt", "jena"]
    assert known.by_ags["16067"].key == "gotha"
    assert {s.district for s in known.services} == {"gotha", "erfurt", "thuringia"}
    bad = tmp_path / "bad"
    shutil.copytree(FIXTURES, bad)
    services = (bad / "services.yml").read_text(encoding="utf-8")
    (bad / "services.yml").write_text(services.replace("district: erfurt", "district: atlantis"), "utf-8")
    with pytest.raises(ValueError, match="atlantis"):
        load_directory(bad)
    csv_dir = tmp_path / "csv"
    shutil.copytree(FIXTURES, csv_dir)
    (csv_dir / "gazetteer.yml").unlink()
    (csv_dir / "gazetteer.csv").write_text("# test\nname,ags,district_ags\nOhrdruf,,16067\n", "utf-8")
    assert [m.name for m in load_directory(csv_dir).municipalities] == ["Ohrdruf"]
    assert load_directory(tmp_path / "missing").districts == ()


def test_an_entry_shows_only_known_fields_with_source_and_date() -> None:
    mbe = next(s for s in load_directory(FIXTURES).services if s.id == "test-mbe-gotha")
    text = format_entry(mbe)
    assert text.startswith(GOTHA_MBE)
    assert "test-mbe@example.org" in text and "de, ar, fa" in text
    assert "📍" not in text and "☎" not in text  # no address, no phone: nothing shown
    assert "https://example.org/fixture" in text and "2026-12-06" in text


def test_services_of_the_topic_come_first_then_the_state_wide_ones() -> None:
    assert [s.id for s in services_for("gotha", None)] == [
        "test-abh-gotha",
        "test-mbe-gotha",
        "test-state-council",
    ]
    assert services_for("gotha", "housing")[0].id == "test-mbe-gotha"
    assert [s.id for s in services_for(None, None)] == ["test-state-council"]
    # a service elsewhere that also serves the district (also_serves)
    assert [s.id for s in services_for("jena", None)] == ["test-jmd-erfurt", "test-state-council"]


def test_directory_entries_are_seeded_as_content_items_and_admin_edits_survive(session: Session) -> None:
    first = seed_directory(session)
    assert (first.items_created, first.texts_added) == (4, 4)
    item = session.scalar(select(ContentItem).where(ContentItem.key == "dir_test-abh-gotha"))
    assert item is not None and item.kind == ContentKind.META and item.topic == "other"
    assert item.sources == [{"title": "Testdaten (erfunden)", "url": "https://example.org/fixture"}]
    again = seed_directory(session)
    assert (again.items_created, again.texts_added) == (0, 0)
    set_text(session, key="dir_test-abh-gotha", language="de", text="Korrigiert: Raum 5", origin="api")
    seed_directory(session)
    resolved = resolve(session, key="dir_test-abh-gotha", language="ar")
    assert resolved is not None and resolved.text == "Korrigiert: Raum 5" and resolved.fallback
    seed_directory(session, update_texts=True)  # an update from the files is a new version
    versions = session.scalar(
        select(func.count()).select_from(ContentTranslation).where(ContentTranslation.item_id == item.id)
    )
    assert versions == 3


# ------------------------------------------------------------------------------------ the flow


class Chat(GuidedChat):
    def answered(self, key: str, topic: str) -> None:
        """An earlier factual answer in this conversation."""
        self.session.add(
            Message(
                conversation_id=self.conv.id,
                direction=Direction.OUT,
                text="...",
                status=MessageStatus.DELIVERED,
                content_key=key,
                topic=topic,
            )
        )
        self.session.flush()

    def flow(self) -> GuidedFlow:
        return self.session.scalars(
            select(GuidedFlow).where(
                GuidedFlow.conversation_id == self.conv.id, GuidedFlow.flow == "counselling"
            )
        ).one()


def test_a_known_town_gets_its_services_and_the_district_is_remembered(
    seeded: Session, conf: Settings
) -> None:
    chat = Chat(seeded, conf)
    intro, question = chat.must(start_payload("counselling"))
    assert intro.key == STARTER and "MBE" in intro.text and "bmi.bund.de" in intro.text
    assert question.key == "utter_flow_counselling_ask_town"
    assert [b["payload"] for b in question.buttons] == [flow_payload("counselling", "town", "stop")]
    (result,) = chat.must("I live in Waltershausen")
    assert result.key == "utter_flow_counselling_result" and "Gotha" in result.text.splitlines()[0]
    assert result.text.index(GOTHA_ABH) < result.text.index(GOTHA_MBE) < result.text.index(STATE)
    assert "JMD" not in result.text and "Erfurt" not in result.text
    assert "{" not in result.text
    assert chat.conv.district == "gotha" and chat.flow().step == DONE
    assert guided.case_lines(seeded, chat.conv.id) == [
        "Beratung in der Nähe (abgeschlossen): Wohnort (Landkreis/kreisfreie Stadt): Gotha"
    ]
    # next time: no question, the remembered district is named
    intro, again = chat.must(start_payload("counselling"))
    assert again.key == "utter_flow_counselling_remembered" and "Gotha" in again.text
    assert GOTHA_ABH in again.text


def test_an_unknown_town_gets_the_state_wide_list(seeded: Session, conf: Settings) -> None:
    chat = Chat(seeded, conf, "de")
    chat.must(start_payload("counselling"))
    (result,) = chat.must("Berlin-Neukölln")
    assert result.key == "utter_flow_counselling_not_found"
    assert "nicht gefunden" in result.text and STATE in result.text and GOTHA_ABH not in result.text
    assert chat.conv.district is None


def test_the_topic_of_the_last_factual_answer_comes_first(seeded: Session, conf: Settings) -> None:
    chat = Chat(seeded, conf)
    chat.answered("utter_faq_housing/deposit", "housing")
    chat.answered(STARTER, "asylum_procedure")  # the flow's own intro is not a factual answer
    chat.must(start_payload("counselling"))
    (result,) = chat.must("Gotha")
    assert chat.flow().answers["topic"] == "housing"
    assert result.text.index(GOTHA_MBE) < result.text.index(GOTHA_ABH)


def test_a_starting_message_that_names_a_town_is_answered_at_once(seeded: Session, conf: Settings) -> None:
    chat = Chat(seeded, conf, "ar")
    chat.conv.district = "erfurt"  # a town named now wins over the remembered one
    starter = render(seeded, key=STARTER, language="ar")
    replies = guided.start_from_reply(chat.ctx(), [starter], "هل توجد استشارة في غوتا؟")
    assert [r.key for r in replies] == [STARTER, "utter_flow_counselling_result"]
    assert replies[1].language == "ar" and GOTHA_ABH in replies[1].text  # the entry itself is German
    assert chat.conv.district == "gotha"


def test_an_admin_correction_is_what_people_see(seeded: Session, conf: Settings) -> None:
    set_text(
        seeded, key="dir_test-abh-gotha", language="de", text="TEST ABH Gotha, jetzt Raum 12", origin="api"
    )
    chat = Chat(seeded, conf)
    chat.must(start_payload("counselling"))
    (result,) = chat.must("gotha")
    assert "jetzt Raum 12" in result.text and "Di 9-12 Uhr" not in result.text


def test_a_shared_location_answers_the_question(seeded: Session, conf: Settings) -> None:
    chat = Chat(seeded, conf)
    chat.must(start_payload("counselling"))
    place = nearest_district(50.95, 10.70)
    (result,) = chat.must(flow_payload("counselling", "town", location_answer(place)))
    assert result.key == "utter_flow_counselling_result" and GOTHA_ABH in result.text
    assert chat.flow().answers["town"] == "ags16067"  # the district, never coordinates
    chat.conv.district = None
    chat.must(start_payload("counselling"))
    (far,) = chat.must(flow_payload("counselling", "town", location_answer(nearest_district(48.1, 11.6))))
    assert far.key == "utter_flow_counselling_not_found"


def test_the_flow_speaks_every_required_language(seeded: Session, conf: Settings) -> None:
    for language in ("de", "en", "ar", "fa", "uk", "ru", "tr", "fr"):
        chat = Chat(seeded, conf, language)
        intro, question = chat.must(start_payload("counselling"))
        (result,) = chat.must("Gotha")
        for reply in (intro, question, result):
            assert reply.language == language and not reply.fallback_language, (language, reply.key)
        assert "Gotha" in result.text and STATE in result.text


# ------------------------------------------------------------------------------------ memory, log, erasure


def test_the_question_log_keeps_only_the_district_and_can_be_filtered(session: Session) -> None:
    session.execute(delete(QuestionLog))

    def log(text: str, district: str | None) -> None:
        log_housing_question(session, text, district)

    log("Kaution?", "gotha")
    log("Kaution?", "gotha")
    log("Kaution bitte", "erfurt")
    log("Kaution wie", None)
    assert [(q.question, q.count) for q in top_questions(session, district="gotha")] == [("Kaution?", 2)]
    assert [i.count for i in top_items(session, district="erfurt")] == [1]
    counts = district_counts(session)
    assert counts[0].district == "gotha" and {d.district: d.count for d in counts} == {
        "gotha": 2,
        "erfurt": 1,
        None: 1,
    }


def test_erasing_the_conversation_erases_its_district(seeded: Session, conf: Settings) -> None:
    chat = Chat(seeded, conf)
    chat.must(start_payload("counselling"))
    chat.must("Jena")
    assert chat.conv.district == "jena"
    pseudonym, conv_id = chat.conv.pseudonym, chat.conv.id
    assert erase_conversation(seeded, pseudonym=pseudonym, tracker_url="sqlite://")
    seeded.expire_all()
    assert seeded.get(Conversation, conv_id) is None
    assert (
        seeded.scalar(
            select(func.count()).select_from(GuidedFlow).where(GuidedFlow.conversation_id == conv_id)
        )
        == 0
    )


class StarterRasa:
    """Rasa that answers every message with the flow's starter (as the retrieval intent would)."""

    def __init__(self, payload: dict[str, object]) -> None:
        self.payload = payload

    async def send(self, *, sender: str, text: str, metadata: dict[str, object]) -> list[dict[str, object]]:
        return [{"custom": {"lotse": self.payload}}]

    async def events(self, *, sender: str) -> list[dict[str, object]]:
        return []

    async def wait_for_turn(self, *, sender: str) -> None:
        return None

    async def healthy(self) -> bool:
        return True

    async def aclose(self) -> None:
        return None


@pytest.fixture
def app_db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'lotse.db'}"
    migrate(url)
    with session_scope(url) as session:
        seed(session)
        seed_directory(session)
    return url


async def test_the_pipeline_starts_from_the_town_in_the_question_and_logs_the_district(
    app_db: str, tmp_path: Path
) -> None:
    settings = make_settings(database_url=app_db, rasa_tracker_url=f"sqlite:///{tmp_path / 't.db'}")
    sessions = sessionmaker(bind=make_engine(app_db), expire_on_commit=False)
    with sessions() as session:
        payload = render(session, key=STARTER, language="de").as_payload()
    payload["nlu"] = {"intent": "faq_procedure/counselling_near_me", "confidence": 0.97}
    assistant = Assistant(settings=settings, sessions=sessions, rasa=StarterRasa(payload))  # type: ignore[arg-type]
    first = await assistant.handle(
        Incoming(channel="web", user_id="u1", text="Beratung in Gotha?", language_hint="de")
    )
    assert [r.key for r in first.replies] == [STARTER, "utter_flow_counselling_result"]
    assert GOTHA_ABH in first.replies[1].text
    later = await assistant.handle(
        Incoming(channel="web", user_id="u1", text="Wo gibt es Beratung?", language_hint="de")
    )
    assert [r.key for r in later.replies] == [STARTER, "utter_flow_counselling_remembered"]
    with sessions() as session:
        conv = session.scalars(select(Conversation)).one()
        assert conv.district == "gotha"
        rows = session.scalars(select(QuestionLog).order_by(QuestionLog.id)).all()
        assert [(r.text_redacted, r.district, r.answered) for r in rows] == [
            ("Beratung in Gotha?", "gotha", True),
            ("Wo gibt es Beratung?", "gotha", True),
        ]
        assert not hasattr(QuestionLog, "conversation_id")
    sessions.kw["bind"].dispose()


def test_cli_questions_top_by_district(
    app_db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with session_scope(app_db) as session:
        for text, district in (("Kaution?", "gotha"), ("Kaution?", "gotha"), ("Schule?", "erfurt")):
            log_housing_question(session, text, district)
    monkeypatch.setenv("LOTSE_DATABASE_URL", app_db)
    get_settings.cache_clear()
    try:
        assert main(["questions", "top", "--district", "gotha", "--json"]) == 0
        report = json.loads(capsys.readouterr().out)
        assert [(q["question"], q["count"]) for q in report["questions"]] == [("Kaution?", 2)]
        assert {d["district"]: d["count"] for d in report["districts"]} == {"gotha": 2, "erfurt": 1}
        assert main(["questions", "top", "--district", "erfurt"]) == 0
        table = capsys.readouterr().out
        assert (
            "District: erfurt" in table
            and "Schule?" in table
            and "Kaution?" not in table.split("by district")[0]
        )
    finally:
        get_settings.cache_clear()
