"""What people ask (issue 14 part 2): dashboard figures, clusters of unanswered questions across
languages, staging NLU examples, review and export — on the real app with its own SQLite database."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from admin_api.staff.models import Role
from admin_api.staff.service import create_user
from bot.analytics.service import normalize_question, record_question
from bot.cli import main
from bot.config import PROJECT_ROOT, get_settings
from bot.conversations.models import Conversation, Direction, Message, MessageStatus
from bot.db import engine_for, session_scope
from bot.handover.models import Handover, HandoverReason, HandoverStatus
from bot.insights.clusters import Question, cluster_questions, synthetic_questions
from bot.insights.dashboard import percentile
from tests.unit.admin_env import PASSWORD, AdminEnv, admin_env
from tests.unit.insights_data import GLOSSARY, HEALTH, HEALTH_PURE, NOISE

DASH_START = date(2026, 11, 2)
"""The dashboard test's week (nothing else in this module writes messages or handovers there)."""
LOG_END = date(2026, 10, 14)
"""The last day of the clustering test's question log."""


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AdminEnv]:
    with admin_env("insights", tmp_path_factory, prefix="i", seeded=True) as base:
        yield base


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def _seed_week(url: str) -> None:
    """ar: 3 messages on day 1 and 2 on day 3; de: 1 on day 1; uk: 1 on day 2 (kept for a caseworker).
    Handovers: requested ×3 (taken after 1, 2 and 10 minutes), crisis ×1 (taken after 30 s),
    low_confidence ×1 (still waiting)."""
    d1, d2, d3 = DASH_START, DASH_START + timedelta(days=1), DASH_START + timedelta(days=2)
    with session_scope(url) as session:
        convs = {}
        for lang in ("ar", "de", "uk"):
            convs[lang] = Conversation(pseudonym=f"web-dash-{lang}", channel="web", language=lang)
            session.add(convs[lang])
        session.flush()

        def message(lang: str, when: datetime, n: int, **kw: object) -> None:
            values: dict[str, object] = {
                "status": MessageStatus.ANSWERED,
                "topic": "housing",
                "intent": "faq_housing",
                "content_key": "utter_faq_housing/deposit",
            }
            values.update(kw)
            session.add(
                Message(
                    conversation_id=convs[lang].id,
                    direction=Direction.IN,
                    external_id=f"{lang}{n}",
                    text="…",
                    language=lang,
                    created_at=when,
                    **values,
                )
            )

        message("ar", _at(d1, 9), 1)
        message("ar", _at(d1, 10), 2, content_key="utter_ask_back", topic="other", intent="nlu_fallback")
        message(
            "ar", _at(d1, 23, 59), 3, content_key="utter_out_of_scope", topic="other", intent="out_of_scope"
        )
        message("ar", _at(d3, 0, 0), 4)
        message("ar", _at(d3, 8), 5)
        message("de", _at(d1, 12), 1)
        message("uk", _at(d2, 12), 1, status=MessageStatus.HUMAN, topic=None, intent=None, content_key=None)
        # an outgoing message and an incoming one outside the range do not count
        session.add(
            Message(
                conversation_id=convs["de"].id,
                direction=Direction.OUT,
                text="answer",
                status=MessageStatus.DELIVERED,
                created_at=_at(d1, 12, 1),
            )
        )
        message("de", _at(DASH_START - timedelta(days=1), 23, 59), 2)

        def handover(reason: HandoverReason, created: datetime, wait_s: float | None) -> None:
            session.add(
                Handover(
                    conversation_id=convs["ar"].id,
                    reason=reason,
                    language="ar",
                    created_at=created,
                    status=HandoverStatus.OPEN if wait_s is None else HandoverStatus.CLAIMED,
                    claimed_at=None if wait_s is None else created + timedelta(seconds=wait_s),
                )
            )

        handover(HandoverReason.REQUESTED, _at(d1, 9), 60)
        handover(HandoverReason.REQUESTED, _at(d2, 9), 120)
        handover(HandoverReason.REQUESTED, _at(d3, 9), 600)
        handover(HandoverReason.CRISIS, _at(d2, 11), 30)
        handover(HandoverReason.LOW_CONFIDENCE, _at(d3, 11), None)


def test_dashboard_figures_match_what_was_seeded(env: AdminEnv) -> None:
    _seed_week(env.url)
    end = DASH_START + timedelta(days=6)
    r = env.client.get(
        f"/api/admin/insights/dashboard?start={DASH_START}&end={end}", headers=env.headers("admin")
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["messages_total"] == 7
    assert body["messages_by_language"] == {"ar": 5, "de": 1, "uk": 1}
    ar = body["messages_per_day"]["ar"]
    assert len(ar) == 7 and ar[str(DASH_START)] == 3 and ar[str(DASH_START + timedelta(days=2))] == 2
    assert sum(ar.values()) == 5 and body["messages_per_day"]["uk"][str(DASH_START + timedelta(days=1))] == 1
    assert body["outcomes"] == {
        "answered": 4,
        "asked_back": 1,
        "not_answered": 1,
        "caseworker": 1,
        "pending": 0,
    }
    assert body["outcomes_by_language"]["ar"]["asked_back"] == 1
    reasons = {h["reason"]: h for h in body["handovers"]}
    assert body["handovers_total"] == 5 and body["handovers"][0]["reason"] == "requested"
    requested = reasons["requested"]
    assert (requested["count"], requested["taken"], requested["waiting"]) == (3, 3, 0)
    assert requested["median_wait_s"] == 120 and requested["p90_wait_s"] == pytest.approx(504)
    assert reasons["crisis"]["median_wait_s"] == 30
    assert reasons["low_confidence"]["waiting"] == 1 and reasons["low_confidence"]["median_wait_s"] is None
    assert body["wait_median_s"] == 90  # 30, 60, 120, 600
    assert body["wait_p90_s"] == pytest.approx(open_p90 := percentile([30, 60, 120, 600], 0.9))
    assert open_p90 == pytest.approx(456)

    # the page shows the same figures, as SVG charts with tables beside them
    page = _admin_browser(env).get(f"/inbox/insights?start={DASH_START}&end={end}")
    assert page.status_code == 200
    html = page.text
    assert html.count("<svg") >= 6 and 'role="img"' in html and "cdn" not in html.lower()
    assert '<tr data-language="ar"><th scope="row">ar</th><td class="n">5</td>' in html
    assert 'data-reason="requested"' in html and "2.0 min" in html  # median of requested


def test_default_range_is_the_last_28_days_and_bad_ranges_are_refused(env: AdminEnv) -> None:
    body = env.client.get("/api/admin/insights/dashboard", headers=env.headers("admin")).json()
    start, end = date.fromisoformat(body["start"]), date.fromisoformat(body["end"])
    assert (end - start).days == 27
    bad = env.client.get(
        "/api/admin/insights/dashboard?start=2026-11-10&end=2026-11-01", headers=env.headers("admin")
    )
    assert bad.status_code == 400
    assert (
        env.client.get(
            "/api/admin/insights/dashboard?start=2020-01-01&end=2026-11-01", headers=env.headers("admin")
        ).status_code
        == 400
    )


def _log(url: str, pairs: list[tuple[str, str]], *, day: date, answered: bool = False) -> None:
    with session_scope(url) as session:
        for language, text in pairs:
            record_question(
                session,
                text=text,
                language=language,
                intent="nlu_fallback" if not answered else None,
                confidence=0.3,
                topic="other",
                content_key="utter_ask_back",
                day=day,
            )


def _health_pairs() -> list[tuple[str, str]]:
    return [(lang, text) for lang, texts in HEALTH.items() for text in texts]


def test_unanswered_questions_about_one_new_topic_form_one_cluster_across_languages(env: AdminEnv) -> None:
    health = _health_pairs()
    # half this week, half last week (the trend), the noise spread over both
    _log(env.url, health[::2], day=LOG_END)
    _log(env.url, health[1::2], day=LOG_END - timedelta(days=8))
    _log(env.url, NOISE, day=LOG_END - timedelta(days=3))
    r = env.client.get(
        f"/api/admin/insights/clusters?start={LOG_END - timedelta(days=27)}&end={LOG_END}",
        headers=env.headers("admin"),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["questions"] == len(health) + len(NOISE)
    top = body["clusters"][0]
    texts = {t["text"] for t in top["texts"]}
    noise = {text for _, text in NOISE}
    assert texts <= {text for _, text in health} and not texts & noise
    assert top["size"] >= 0.75 * len(health)
    assert set(top["languages"]) == {"de", "en", "tr", "ar"}
    assert (
        top["this_week"] + top["last_week"] == top["size"] and top["this_week"] >= 5 and top["last_week"] >= 5
    )
    assert 1 <= len(top["examples"]) <= 5 and len({e["language"] for e in top["examples"]}) >= 4
    assert (
        top["nearest"]["key"].startswith("utter_faq_")
        and top["nearest"]["intent"] == top["nearest"]["key"][6:]
    )
    # the noise never joins a health question, and forms nothing as large
    for cluster in body["clusters"][1:]:
        members = {t["text"] for t in cluster["texts"]}
        assert not (members & texts)
        assert cluster["size"] <= 3

    # the page shows the clusters with the actions
    page = _admin_browser(env).get(
        f"/inbox/insights/questions?start={LOG_END - timedelta(days=27)}&end={LOG_END}"
    )
    assert page.status_code == 200 and "Krankenkasse" in page.text and 'data-stage="new"' in page.text


def test_with_a_translation_into_german_the_languages_meet_without_a_shared_word() -> None:
    def translate(text: str, language: str) -> str:
        out = text.lower()
        for source, german in sorted(GLOSSARY.items(), key=lambda kv: -len(kv[0])):
            out = out.replace(source, german)
        return out

    def questions(pairs: list[tuple[str, str]]) -> list[Question]:
        return [
            Question(day=LOG_END, language=lang, text=t, normalized=normalize_question(t))
            for lang, t in pairs
        ]

    pure = [(lang, t) for lang, texts in HEALTH_PURE.items() for t in texts]
    with_mt = cluster_questions(questions(pure + NOISE), today=LOG_END, translate=translate)
    without = cluster_questions(questions(pure + NOISE), today=LOG_END)
    assert set(with_mt.clusters[0].languages) == {"de", "en", "tr", "ar"} and with_mt.translated > 0
    assert not {t for _, t, _ in with_mt.clusters[0].texts} & {t for _, t in NOISE}
    # without translation, no cluster reaches across these languages (the documented limit)
    assert all(len(c.languages) == 1 for c in without.clusters)


def test_clustering_scales_linearly_on_synthetic_questions() -> None:
    """A small smoke test of the bucketed path (the 100,000 figure comes from the benchmark)."""
    result = cluster_questions(synthetic_questions(2500, today=LOG_END), today=LOG_END)
    assert result.distinct > 1500 and result.clusters and result.seconds < 60


def test_staging_review_and_export(env: AdminEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    end = LOG_END - timedelta(days=30)  # a range of its own, so that the test does not depend on another
    _log(env.url, _health_pairs() + NOISE, day=end)
    admin = env.headers("admin")
    clusters = env.client.get(
        f"/api/admin/insights/clusters?start={end - timedelta(days=6)}&end={end}", headers=admin
    ).json()["clusters"]
    top = clusters[0]
    examples = [{"language": t["language"], "text": t["text"]} for t in top["texts"]]
    body = {"examples": examples, "target_intent": "faq_health/insurance"}
    assert (
        env.client.post(
            "/api/admin/insights/staged", json=body, headers=env.headers("caseworker")
        ).status_code
        == 403
    )
    assert env.client.post("/api/admin/insights/staged", json=body).status_code == 401
    staged = env.client.post("/api/admin/insights/staged", json=body, headers=admin)
    assert staged.status_code == 201, staged.text
    rows = staged.json()
    assert len(rows) == len(examples) and {r["status"] for r in rows} == {"staged"}
    assert {r["staged_by"] for r in rows} == {"i-admin"} and {r["language"] for r in rows} == {
        "de",
        "en",
        "tr",
        "ar",
    }
    # staging again adds nothing; a text that is not in the question log is refused
    assert env.client.post("/api/admin/insights/staged", json=body, headers=admin).json() == []
    made_up = {
        "examples": [{"language": "de", "text": "never asked"}],
        "target_intent": "faq_health/insurance",
    }
    assert env.client.post("/api/admin/insights/staged", json=made_up, headers=admin).status_code == 400
    new_answer = {"examples": examples[:2], "note": "Krankenversicherung: noch keine Antwort"}
    assert env.client.post("/api/admin/insights/staged", json=new_answer, headers=admin).status_code == 201
    assert (
        env.client.post(
            "/api/admin/insights/staged", json={"examples": examples[:1]}, headers=admin
        ).status_code
        == 400
    )  # neither intent nor note

    ids = [r["id"] for r in rows]
    approve = env.client.post(
        "/api/admin/insights/staged/review", json={"ids": ids[:-1], "status": "approved"}, headers=admin
    )
    reject = env.client.post(
        "/api/admin/insights/staged/review", json={"ids": ids[-1:], "status": "rejected"}, headers=admin
    )
    assert approve.status_code == reject.status_code == 200
    listed = env.client.get("/api/admin/insights/staged?status=approved", headers=admin).json()
    assert {r["id"] for r in listed} == set(ids[:-1]) and all(r["reviewed_by"] == "i-admin" for r in listed)
    log = env.client.get("/api/admin/audit", headers=admin).json()
    actions = [e["action"] for e in log]
    assert {"examples_staged", "examples_approved", "examples_rejected", "insights_clusters"} <= set(actions)

    # export: the approved examples only, as Rasa NLU yml
    out = tmp_path / "staged.yml"
    monkeypatch.setenv("LOTSE_DATABASE_URL", env.url)
    get_settings.cache_clear()
    try:
        assert main(["nlu", "export-staged", str(out)]) == 0
    finally:
        get_settings.cache_clear()
        engine_for(env.url).dispose()
    data = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert data["version"] == "3.1" and [b["intent"] for b in data["nlu"]] == ["faq_health/insurance"]
    lines = data["nlu"][0]["examples"].splitlines()
    assert len(lines) == len(ids) - 1 and all(line.startswith("- ") for line in lines)
    rasa = PROJECT_ROOT / ".venv-rasa" / "bin" / "python"
    if shutil.which(str(rasa)):  # Rasa's own reader accepts the file
        check = subprocess.run(
            [
                str(rasa),
                "-c",
                "import sys; from rasa.shared.nlu.training_data.loading import load_data;"
                "print(len(load_data(sys.argv[1]).training_examples))",
                str(out),
            ],
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        assert check.returncode == 0, check.stderr[-2000:]
        assert check.stdout.strip().splitlines()[-1] == str(len(ids) - 1)


def _browser(env: AdminEnv, role: Role) -> TestClient:
    name = f"page-{role.value}"
    with session_scope(env.url) as session:
        from sqlalchemy import select

        from admin_api.staff.models import StaffUser

        if session.scalar(select(StaffUser).where(StaffUser.username == name)) is None:
            create_user(session, username=name, password=PASSWORD, role=role)
    client = TestClient(env.client.app, follow_redirects=False)
    assert (
        client.post("/api/admin/auth/login", json={"username": name, "password": PASSWORD}).status_code == 200
    )
    return client


def _admin_browser(env: AdminEnv) -> TestClient:
    return _browser(env, Role.ADMIN)


@pytest.mark.parametrize("path", ["/inbox/insights", "/inbox/insights/questions"])
def test_pages_are_for_admins_only(env: AdminEnv, path: str) -> None:
    anonymous = TestClient(env.client.app, follow_redirects=False).get(path)
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/inbox/login"
    assert _browser(env, Role.CASEWORKER).get(path).status_code == 403
    assert _admin_browser(env).get(path).status_code == 200


def test_changes_from_a_browser_need_the_csrf_token(env: AdminEnv) -> None:
    browser = _admin_browser(env)
    body = {"ids": [1], "status": "approved"}
    assert browser.post("/api/admin/insights/staged/review", json=body).status_code == 403


def test_charts_escape_what_they_show() -> None:
    from admin_api.insights.charts import bars, stacked_columns

    svg = str(bars("t<", [("<script>x</script>", 3)]) + stacked_columns("t", ["2026-11-02"], [("<b>", [2])]))
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "&lt;b&gt;" in svg


def test_the_cluster_benchmark_command_reports_its_time(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["questions", "cluster-bench", "--n", "400", "--json"]) == 0
    import json

    report = json.loads(capsys.readouterr().out)
    assert report["questions"] == 400 and report["seconds"] >= 0 and report["clusters_reported"] >= 1


def test_the_issue_s_spelling_of_the_benchmark_works_too(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["questions", "cluster", "--bench", "300"]) == 0
    assert capsys.readouterr().out.startswith("300 questions (")
