"""The Argos backend and the ``lotse translate`` commands, with tiny packages built by the tests."""

from __future__ import annotations

import socket
import subprocess
import sys
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT
from bot.translation.argos import ArgosTranslator, read_package_metadata
from bot.translation.base import MissingPairError, TranslationError, Translator
from bot.translation.service import TranslationService
from tests.translation.tiny_argos import build_package

Lotse = Callable[..., subprocess.CompletedProcess[str]]
TEXT = "I need help with my residence permit. Thank you very much!"


def test_built_package_has_one_top_level_folder(argos_packages: dict[tuple[str, str], Path]) -> None:
    archive = argos_packages[("en", "de")]
    names = zipfile.ZipFile(archive).namelist()
    assert {n.split("/")[0] for n in names} == {"translate-en_de"}
    for part in ("metadata.json", "sentencepiece.model", "model/model.bin", "minisbd/en.onnx"):
        assert f"translate-en_de/{part}" in names
    assert read_package_metadata(archive)["to_code"] == "de"


def test_cli_install_list_translate_remove(lotse: Lotse, argos_packages: dict[tuple[str, str], Path]) -> None:
    empty = lotse("translate", "list")
    assert empty.returncode == 0 and "no translation packages" in empty.stdout

    done = lotse("translate", "install", "--file", str(argos_packages[("en", "de")]))
    assert done.returncode == 0, done.stderr
    assert "installed en → de" in done.stdout
    assert "en → de" in lotse("translate", "list").stdout

    out = lotse("translate", "text", "--source", "en", "--target", "de", TEXT)
    assert out.returncode == 0, out.stderr
    assert out.stdout == TEXT + "\n"  # only the translation (the test model copies its input)

    assert lotse("translate", "remove", "en", "de").returncode == 0
    assert "no translation packages" in lotse("translate", "list").stdout
    again = lotse("translate", "remove", "en", "de")
    assert again.returncode == 1 and "no en → de package" in again.stderr


def test_cli_missing_pair_names_pair_and_command(lotse: Lotse) -> None:
    out = lotse("translate", "text", "--source", "ti", "--target", "de", "ሰላም")
    assert out.returncode == 1 and out.stdout == ""
    assert "ti → de" in out.stderr
    assert "lotse translate install --file translate-ti_de.argosmodel" in out.stderr


def test_cli_install_from_index_offline_fails_clearly(lotse: Lotse) -> None:
    out = lotse("translate", "install", "--from-index", "en", "fr")
    assert out.returncode == 1
    assert "cannot reach the Argos package index" in out.stderr
    assert "lotse translate install --file" in out.stderr
    assert "RecursionError" not in out.stderr and "Traceback" not in out.stderr


def test_cli_detect(lotse: Lotse) -> None:
    assert lotse("detect", "مرحبا، كيف حالك؟ أحتاج مساعدة").stdout == "ar\n"
    assert lotse("detect", "Wo finde ich eine Wohnung nach der Anerkennung?").stdout == "de\n"


def test_backend_implements_the_interface(
    packages_dir: Path, argos_packages: dict[tuple[str, str], Path]
) -> None:
    backend = ArgosTranslator(packages_dir)
    assert isinstance(backend, Translator)
    assert backend.pairs() == frozenset()
    with pytest.raises(MissingPairError):  # checked before Argos, which would fail on None
        backend.translate("Hello.", source="en", target="de")
    backend.install_file(argos_packages[("en", "de")])
    assert backend.can_translate("en", "de") and not backend.can_translate("de", "en")
    assert backend.translate("Hello, how are you?", source="en", target="de") == "Hello, how are you?"


def test_install_is_seen_by_a_running_backend(
    packages_dir: Path, argos_packages: dict[tuple[str, str], Path]
) -> None:
    running = ArgosTranslator(packages_dir)
    assert not running.can_translate("ar", "en")
    ArgosTranslator(packages_dir).install_file(argos_packages[("ar", "en")])  # e.g. the CLI
    assert running.can_translate("ar", "en")


def test_two_packages_dirs_in_one_process(
    tmp_path: Path, argos_packages: dict[tuple[str, str], Path]
) -> None:
    one, two = ArgosTranslator(tmp_path / "one"), ArgosTranslator(tmp_path / "two")
    one.install_file(argos_packages[("en", "de")])
    two.install_file(argos_packages[("de", "en")])
    assert one.translate("Gut.", source="en", target="de") == "Gut."
    assert two.translate("Gut.", source="de", target="en") == "Gut."
    assert one.pairs() == {("en", "de")} and two.pairs() == {("de", "en")}


def test_bad_archives_are_refused(tmp_path: Path, packages_dir: Path) -> None:
    not_zip = tmp_path / "x.argosmodel"
    not_zip.write_text("nope")
    two_tops = tmp_path / "two.argosmodel"
    with zipfile.ZipFile(two_tops, "w") as zf:
        zf.writestr("a/metadata.json", "{}")
        zf.writestr("b/metadata.json", "{}")
    for archive in (not_zip, two_tops):
        with pytest.raises(TranslationError):
            ArgosTranslator(packages_dir).install_file(archive)
    assert ArgosTranslator(packages_dir).pairs() == frozenset()


def test_service_over_argos_translates(installed: Callable[..., TranslationService]) -> None:
    service = installed(("en", "de"))
    result = service.translate(TEXT, source="en", target="de")
    assert result.text == TEXT
    assert (result.engine, result.machine_translated, result.cached) == ("argos", True, False)


def test_nothing_is_loaded_at_import() -> None:
    code = (
        "import sys, bot.cli, bot.translation, bot.translation.service, bot.translation.cli;"
        "bot.cli.build_parser();"
        "assert 'argostranslate' not in sys.modules and 'ctranslate2' not in sys.modules, 'loaded'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=PROJECT_ROOT, timeout=60)


def test_concurrent_translations(installed: Callable[..., TranslationService]) -> None:
    service = installed(("ar", "en"), ("en", "de"), cache_size=0)
    texts = [f"I need help number {i}." for i in range(24)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda t: service.translate(t, source="ar", target="de").text, texts))
    assert results == texts


# ---------------------------------------------------------------------- packages without a splitter


def _without_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every attempt to reach the network fails at once (as on the authority's offline machines)."""

    def refuse(*_: object, **__: object) -> None:
        raise OSError("networking is disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def test_a_package_without_a_sentence_splitter_translates_offline(
    tmp_path: Path, packages_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = ArgosTranslator(packages_dir)
    for source, target in (("ar", "en"), ("en", "de")):
        archive = build_package(
            tmp_path / "pkgs", source, target, work=tmp_path / f"b-{source}", splitter=False
        )
        with zipfile.ZipFile(archive) as zf:
            assert not any("/minisbd/" in name for name in zf.namelist())
        backend.install_file(archive)
    _without_network(monkeypatch)
    arabic = "مرحبا. كيف حالك؟ أحتاج مساعدة!"
    assert backend.translate(arabic, source="ar", target="en") == arabic  # the copying model
    service = TranslationService(backend, cache_size=0)
    assert service.translate(TEXT, source="en", target="de").text == TEXT
    assert service.translate(arabic, source="ar", target="de").text == arabic  # via English


def test_cli_translates_with_a_package_without_a_splitter_offline(
    lotse: Lotse, tmp_path: Path, closed_port: int
) -> None:
    archive = build_package(tmp_path / "pkgs", "en", "de", work=tmp_path / "b", splitter=False)
    assert lotse("translate", "install", "--file", str(archive)).returncode == 0
    offline = {
        name: f"http://127.0.0.1:{closed_port}"
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy")
    }
    out = lotse("translate", "text", "--source", "en", "--target", "de", TEXT, env=offline)
    assert out.returncode == 0, out.stderr
    assert TEXT in out.stdout
