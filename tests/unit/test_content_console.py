"""The administrators' content console: its API routes (preview, restore, machine drafts, new FAQ
items, audited edits) and its server-rendered pages, on the real app with its own SQLite database."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from admin_api.audit.models import AuditEntry
from admin_api.content.service import text_diff
from bot.content.models import ContentTranslation
from bot.content.service import resolve
from bot.db import session_scope
from tests.unit.admin_env import AdminEnv, admin_env

KEY = "utter_faq_housing/deposit"
_n = itertools.count()


class Env(AdminEnv):
    def audit(self, action: str) -> list[AuditEntry]:
        with session_scope(self.url) as session:
            rows = list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))
            session.expunge_all()
            return rows


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    packages = tmp_path_factory.mktemp("no-argos-packages")
    with admin_env(
        "console",
        tmp_path_factory,
        prefix="c",
        seeded=True,
        translation_backend="argos",
        argos_packages_dir=Path(packages),
    ) as base:
        yield Env(**vars(base))


ROUTES = [
    ("post", f"/api/admin/content/{KEY}/ar/preview", {"text": "نص"}),
    ("post", f"/api/admin/content/{KEY}/ar/restore", {"version": 1}),
    ("post", f"/api/admin/content/{KEY}/drafts", {}),
    (
        "post",
        "/api/admin/content",
        {
            "key": "utter_faq_housing/x_perm",
            "topic": "housing",
            "sources": [{"title": "§ 1"}],
            "text": "Text",
        },
    ),
]


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
@pytest.mark.parametrize(("role", "expected"), [("anonymous", 401), ("caseworker", 403)])
def test_only_admins_use_the_console_api(
    env: Env, method: str, path: str, body: dict[str, Any], role: str, expected: int
) -> None:
    response = getattr(env.client, method)(path, json=body, headers=env.headers(role))
    assert response.status_code == expected


def test_the_preview_renders_sources_and_date_without_storing(env: Env) -> None:
    admin = env.headers("admin")
    with session_scope(env.url) as session:
        before = session.scalar(select(ContentTranslation.id).order_by(ContentTranslation.id.desc()))
    draft = "الكفالة تساوي ثلاثة أشهر من الإيجار كحد أقصى (نص تجريبي)."
    response = env.client.post(f"/api/admin/content/{KEY}/ar/preview", json={"text": draft}, headers=admin)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["text"].startswith(draft)
    assert "§ 551 BGB" in body["text"] and "2026-11-25" in body["text"]  # sources and the "as of" date
    with session_scope(env.url) as session:
        assert session.scalar(select(ContentTranslation.id).order_by(ContentTranslation.id.desc())) == before
        served = resolve(session, key=KEY, language="ar")
        assert served is not None and served.text != draft
    # a language without a text of its own previews the draft in that language, not the fallback
    pashto = env.client.post(
        f"/api/admin/content/{KEY}/ps/preview", json={"text": "Pashto draft"}, headers=admin
    )
    assert pashto.status_code == 200 and pashto.json()["text"].startswith("Pashto draft")


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        (f"/api/admin/content/{KEY}/xx/preview", {"text": "t"}, 400),
        ("/api/admin/content/utter_nope/ar/preview", {"text": "t"}, 404),
        (f"/api/admin/content/{KEY}/ar/preview", {"text": ""}, 422),
        (f"/api/admin/content/{KEY}/ar/restore", {"version": 0}, 422),
        (f"/api/admin/content/{KEY}/ar/restore", {"version": 999}, 404),
        (f"/api/admin/content/{KEY}/xx/restore", {"version": 1}, 400),
        (f"/api/admin/content/{KEY}/drafts", {"languages": ["xx"]}, 400),
        (f"/api/admin/content/{KEY}/drafts", {"languages": ["de"]}, 400),
        ("/api/admin/content/utter_nope/drafts", {}, 404),
    ],
)
def test_console_api_refuses_mistakes(env: Env, path: str, body: dict[str, Any], expected: int) -> None:
    assert env.client.post(path, json=body, headers=env.headers("admin")).status_code == expected


def test_edits_record_the_editor_and_restore_makes_a_new_audited_version(env: Env) -> None:
    admin = env.headers("admin")
    key = "utter_faq_housing/registration"
    original = resolve_text(env, key, "ar")
    edited = env.client.put(f"/api/admin/content/{key}/ar", json={"text": "نص جديد"}, headers=admin)
    assert edited.status_code == 200
    assert edited.json()["edited_by"] == "c-admin"
    new_version = edited.json()["version"]
    assert resolve_text(env, key, "ar") == "نص جديد"
    edits = [e for e in env.audit("content_edit") if e.detail["key"] == key]
    assert edits and edits[-1].detail["version"] == new_version and edits[-1].staff_user_id is not None

    restored = env.client.post(
        f"/api/admin/content/{key}/ar/restore", json={"version": new_version - 1}, headers=admin
    )
    assert restored.status_code == 200, restored.text
    assert restored.json()["version"] == new_version + 1 and restored.json()["text"] == original
    assert resolve_text(env, key, "ar") == original
    history = env.client.get(f"/api/admin/content/{key}/history", headers=admin).json()
    arabic = [t for t in history["translations"] if t["language"] == "ar"]
    assert [t["version"] for t in arabic][:3] == [new_version + 1, new_version, new_version - 1]
    rows = [e for e in env.audit("content_restore") if e.detail["key"] == key]
    assert rows[-1].detail == {
        "key": key,
        "language": "ar",
        "from_version": new_version - 1,
        "version": new_version + 1,
    }


def resolve_text(env: Env, key: str, language: str) -> str:
    with session_scope(env.url) as session:
        served = resolve(session, key=key, language=language)
        assert served is not None
        return served.text


def test_drafting_without_a_translation_model_says_so_and_stores_nothing(env: Env) -> None:
    response = env.client.post(f"/api/admin/content/{KEY}/drafts", json={}, headers=env.headers("admin"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["no_model"] is True and "No translation model installed" in body["message"]
    assert {d["language"] for d in body["drafts"]} == {"ps", "ti", "so", "ku"}  # the missing ones
    assert all(d["status"] == "no-model" for d in body["drafts"])
    assert not [e for e in env.audit("content_draft") if e.detail["key"] == KEY]


def test_a_new_faq_item_is_stored_audited_and_needs_retraining(env: Env) -> None:
    admin = env.headers("admin")
    body = {
        "key": f"utter_faq_housing/heating_costs_{next(_n)}",
        "topic": "housing",
        "sources": [{"title": "§ 22 SGB II", "url": "https://www.gesetze-im-internet.de/sgb_2/__22.html"}],
        "text": "Heizkosten übernimmt das Jobcenter in angemessener Höhe.",
    }
    created = env.client.post("/api/admin/content", json=body, headers=admin)
    assert created.status_code == 201, created.text
    out = created.json()
    assert out["retrain_needed"] is True and "retrained" in out["notice"]
    assert out["item"]["kind"] == "faq" and out["item"]["as_of"] and out["item"]["review_by"]
    assert [t["language"] for t in out["item"]["translations"]] == ["de"]
    preview = env.client.post(
        f"/api/admin/content/{body['key']}/de/preview", json={"text": body["text"]}, headers=admin
    )
    assert "§ 22 SGB II" in preview.json()["text"]
    assert any(e.detail["key"] == body["key"] for e in env.audit("content_create"))
    assert env.client.post("/api/admin/content", json=body, headers=admin).status_code == 409
    for wrong, code in (
        ({**body, "key": "utter_greet"}, 422),
        ({**body, "key": body["key"] + "x", "topic": "cooking"}, 400),
        ({**body, "key": body["key"] + "y", "sources": []}, 422),
        ({**body, "key": body["key"] + "z", "sources": [{"title": " "}]}, 400),
        ({**body, "key": body["key"] + "w", "sources": [{"title": "x", "url": "javascript:alert(1)"}]}, 400),
    ):
        assert env.client.post("/api/admin/content", json=wrong, headers=admin).status_code == code, wrong


def test_pages_are_for_admins_only_and_admins_get_the_link(env: Env) -> None:
    anonymous = TestClient(env.client.app)
    assert anonymous.get("/inbox/console", follow_redirects=False).status_code == 303
    caseworker, _, _ = env.browser("caseworker")
    assert caseworker.get("/inbox/console").status_code == 403
    assert caseworker.get(f"/inbox/console/items/{KEY}").status_code == 403
    assert 'href="/inbox/console"' not in caseworker.get("/inbox").text
    admin, _, _ = env.browser("admin")
    assert 'href="/inbox/console"' in admin.get("/inbox").text
    assert 'href="/inbox/console"' in admin.get("/inbox/content").text


def test_the_list_filters_by_topic_language_and_status(env: Env) -> None:
    admin, csrf, _ = env.browser("admin")
    key = "utter_faq_housing/wbs"
    assert (
        admin.put(
            f"/api/admin/content/{key}/de", json={"text": "Neu."}, headers={"X-CSRF-Token": csrf}
        ).status_code
        == 200
    )
    everything = admin.get("/inbox/console").text
    assert KEY in everything and "utter_greet" in everything
    outdated = admin.get("/inbox/console?language=ar&status=outdated").text
    assert f'data-key="{key}"' in outdated and f'data-key="{KEY}"' not in outdated
    assert "browser" in outdated  # the last editor of the edited item
    housing = admin.get("/inbox/console?topic=housing").text
    assert f'data-key="{KEY}"' in housing and 'data-key="utter_faq_appeal/deadline"' not in housing
    # unknown filter values are ignored, not an error
    assert admin.get("/inbox/console?topic=<x>&status=nope&language=zz").status_code == 200


def test_the_item_page_shows_facts_texts_history_and_diffs(env: Env) -> None:
    admin, csrf, _ = env.browser("admin")
    key = "utter_faq_housing/finding_flat"
    headers = {"X-CSRF-Token": csrf}
    first = admin.put(f"/api/admin/content/{key}/fa", json={"text": "خط یک\nخط دو"}, headers=headers)
    assert first.status_code == 200
    admin.put(
        f"/api/admin/content/{key}/fa", json={"text": "خط یک\nخط سه", "minor_edit": True}, headers=headers
    )
    page = admin.get(f"/inbox/console/items/{key}?lang=fa")
    assert page.status_code == 200
    html = page.text
    assert "Kurzfassung / Brief" in html and "Quellen / Sources" in html
    assert 'id="german-text"' in html and 'dir="rtl"' in html
    assert '<div class="del">− خط دو</div>' in html and '<div class="add">+ خط سه</div>' in html
    assert "Wiederherstellen / Restore" in html and "/preview" in html
    assert "klein / minor" in html
    assert admin.get("/inbox/console/items/utter_nope").status_code == 404
    assert admin.get("/inbox/console/new").status_code == 200


def test_text_diff_marks_added_and_removed_lines() -> None:
    assert text_diff("a\nb", "a\nc") == [
        ("hunk", "@@ -1,2 +1,2 @@"),
        ("same", "a"),
        ("del", "b"),
        ("add", "c"),
    ]
