"""Machine drafts of content texts: stored as drafts, served only where no reviewed text exists."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.content.models import ContentTranslation, TranslationStatus
from bot.content.service import resolve, seed
from bot.db import session_scope
from bot.translation.content import translate_content
from bot.translation.service import TranslationService
from tests.conftest import migrate

KEY = "utter_faq_housing/deposit"


def test_drafts_fill_gaps_and_never_replace_reviewed_texts(
    session: Session, installed: Callable[..., TranslationService]
) -> None:
    seed(session)
    service = installed(("de", "en"), ("en", "ps"))
    outcomes = {
        o.language: o for o in translate_content(session, service, key=KEY, targets=["ps", "ar", "ti"])
    }
    assert outcomes["ps"].status == "written" and outcomes["ps"].detail == "argos via en"
    assert outcomes["ar"].status == "reviewed-exists"
    assert outcomes["ti"].status == "no-model" and "de → ti" in outcomes["ti"].detail

    served = resolve(session, key=KEY, language="ps")
    assert served is not None and served.language == "ps" and not served.fallback
    assert served.machine_translated and not served.reviewed
    german = resolve(session, key=KEY, language="de")
    assert german is not None and served.text.split()[:3] == german.text.split()[:3]  # copying test model
    row = session.scalars(
        select(ContentTranslation).where(
            ContentTranslation.language == "ps", ContentTranslation.origin.like("mt:%")
        )
    ).one()
    assert (row.status, row.origin) == (TranslationStatus.DRAFT, "mt:argos via en")
    arabic = resolve(session, key=KEY, language="ar")
    assert arabic is not None and arabic.reviewed and not arabic.machine_translated


def test_cli_content_translate(
    tmp_path: Path,
    lotse: Callable[..., subprocess.CompletedProcess[str]],
    argos_packages: dict[tuple[str, str], Path],
) -> None:
    url = f"sqlite:///{tmp_path / 'lotse.db'}"
    migrate(url)
    with session_scope(url) as session:
        seed(session)
    for pair in (("de", "en"), ("en", "ps")):
        assert lotse("translate", "install", "--file", str(argos_packages[pair])).returncode == 0
    out = lotse("content", "translate", KEY, "--to", "all", env={"LOTSE_DATABASE_URL": url})
    assert out.returncode == 0, out.stderr
    assert "ps: machine draft version 1 (argos via en), needs review" in out.stdout
    assert "ar: reviewed text exists, no draft" in out.stdout
    assert "so: no translation" in out.stdout
    with session_scope(url) as session:
        served = resolve(session, key=KEY, language="ps")
        assert served is not None and served.machine_translated


def test_the_console_drafts_the_missing_languages_through_the_app(
    tmp_path: Path, packages_dir: Path, installed: Callable[..., TranslationService]
) -> None:
    """``POST /api/admin/content/{key}/drafts`` with the app's translation service: a draft for each
    missing language that has a model (marked as a machine draft, with the admin as its editor), a
    "no model" outcome for the others; an admin then marks the draft reviewed."""
    from fastapi.testclient import TestClient

    from admin_api.audit.models import AuditEntry
    from admin_api.staff.models import Role
    from admin_api.staff.service import create_user, issue_token
    from bot.web.app import create_app
    from tests.conftest import make_settings

    installed(("de", "en"), ("en", "ps"))
    url = f"sqlite:///{tmp_path / 'lotse.db'}"
    migrate(url)
    with session_scope(url) as session:
        seed(session)
        admin = create_user(session, username="drafter", password="a long enough password", role=Role.ADMIN)
        token = issue_token(session, user=admin, name="t")[1]
    app = create_app(
        make_settings(
            database_url=url,
            rasa_url="http://127.0.0.1:9",
            translation_backend="argos",
            argos_packages_dir=packages_dir,
        )
    )
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(app) as client:
        response = client.post(f"/api/admin/content/{KEY}/drafts", json={}, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        outcomes = {d["language"]: d["status"] for d in body["drafts"]}
        assert outcomes == {"ps": "written", "ti": "no-model", "so": "no-model", "ku": "no-model"}
        assert body["no_model"] is False and "ps" in body["message"]
        history = client.get(f"/api/admin/content/{KEY}/history", headers=headers).json()
        pashto = [t for t in history["translations"] if t["language"] == "ps"]
        assert len(pashto) == 1 and pashto[0]["machine_translated"] and pashto[0]["status"] == "draft"
        assert pashto[0]["edited_by"] == "drafter"
        marked = client.post(f"/api/admin/content-review/{KEY}/ps/reviewed", headers=headers)
        assert marked.status_code == 200
        review = client.get("/api/admin/content-review?all=true", headers=headers).json()
        item = next(i for i in review["items"] if i["key"] == KEY)
        assert item["languages"]["ps"] == "reviewed"
    with session_scope(url) as session:
        actions = [a.action for a in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
        served = resolve(session, key=KEY, language="ps")
        assert served is not None and served.reviewed and served.language == "ps"
        assert not served.machine_translated  # checked by a person: no machine-translation note
    assert actions[-2:] == ["content_draft", "content_reviewed"]
