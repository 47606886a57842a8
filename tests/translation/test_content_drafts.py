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
