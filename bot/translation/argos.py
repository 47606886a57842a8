"""Argos Translate in process (``argos-translate-lt`` or upstream ``argostranslate``).

Argos reads its settings when it is imported, so this module imports it lazily, after setting
``ARGOS_PACKAGES_DIR``, the XDG directories (Argos creates its data, config and cache directories
there instead of in the home directory) and ``ARGOS_CHUNK_TYPE=MINISBD`` (sentence splitting with a
MiniSBD model, never the stanza download). It never downloads anything: it never calls
``get_available_packages`` (offline that recurses until RecursionError) and installs packages only
from files. A package without its own sentence splitter (no ``minisbd/`` folder) would make MiniSBD
download a model; Lotse puts its own splitter in Argos's place (:func:`_offline_sentencizer`): the
package's MiniSBD model, a MiniSBD model already on disk, or else the rules of
:mod:`bot.translation.sentences` — never a download. Installing from the online package index is
:func:`install_from_index`, which fetches the index itself and fails with a clear message when it
cannot be reached.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx

from bot.translation.base import MissingPairError, TranslationError
from bot.translation.sentences import split_sentences

DEFAULT_INDEX_URL = "https://raw.githubusercontent.com/argosopentech/argospm-index/main/index.json"

_lock = threading.RLock()
_active_dir: Path | None = None


@dataclass(frozen=True, slots=True)
class InstalledPackage:
    """One installed translation package."""

    source: str
    target: str
    version: str
    path: Path


def _home(packages_dir: Path) -> Path:
    return packages_dir.parent / f"{packages_dir.name}-home"


def _argos(packages_dir: Path) -> tuple[ModuleType, ModuleType, ModuleType]:
    """Import Argos configured for ``packages_dir`` (reconfigure it when another dir was active).

    Argos reads its environment only when imported; the variables are set for the import and then
    restored, so the rest of the process (and its subprocesses) keeps its own XDG directories.
    """
    global _active_dir
    packages_dir.mkdir(parents=True, exist_ok=True)
    home = _home(packages_dir)
    env = {
        "ARGOS_PACKAGES_DIR": str(packages_dir),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "ARGOS_CHUNK_TYPE": "MINISBD",
    }
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        import argostranslate.package as package
        import argostranslate.sbd as sbd
        import argostranslate.settings as settings
        import argostranslate.translate as translate
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    if not getattr(translate.MiniSBDSentencizer, "offline", False):
        # PackageTranslation looks the class up in its module each time it builds a translation
        translate.MiniSBDSentencizer = _offline_sentencizer(sbd)
    if _active_dir != packages_dir:
        settings.package_data_dir = packages_dir
        settings.package_dirs = [packages_dir]
        settings.chunk_type = settings.ChunkType.MINISBD
        # Real packages without their own MiniSBD model look for <code>.onnx here.
        sbd.minisbd_models.cache_dir = str(home / "data" / "argos-translate" / "minisbd")
        _active_dir = packages_dir
        _forget_loaded(translate)
    return package, settings, translate


def _offline_sentencizer(sbd: ModuleType) -> type:
    """Argos's MiniSBD sentence splitter, made unable to download: it uses the package's own model
    (``minisbd/*.onnx``) or a MiniSBD model already in the cache directory, and otherwise splits by
    the rules of :func:`bot.translation.sentences.split_sentences` for the package's language."""
    base: type = sbd.MiniSBDSentencizer
    models: Any = sbd.minisbd_models

    class OfflineSentencizer(base):  # type: ignore[misc]
        offline = True

        def __init__(self, pkg: Any) -> None:
            self.pkg = pkg
            self.detector = None
            self.lang: str | None = None  # a model file, never a name MiniSBD would download
            own = sorted((Path(pkg.package_path) / "minisbd").glob("*.onnx"))
            if own:
                self.lang = str(own[0])
            else:
                code = base.LANGUAGE_CODE_MAPPING.get(pkg.from_code, pkg.from_code)  # type: ignore[attr-defined]
                filename = getattr(models, "MODELS", {}).get(code)
                cached = Path(models.cache_dir) / Path(str(filename)).name if filename else None
                if cached is not None and cached.is_file():
                    self.lang = str(cached)

        def split_sentences(self, text: str) -> list[str]:
            if self.lang is None:
                return split_sentences(text, str(self.pkg.from_code))
            result: list[str] = super().split_sentences(text)
            return result

        def __str__(self) -> str:
            return "MiniSBDSentencizer (offline)" if self.lang else "Lotse rule-based sentence splitter"

    return OfflineSentencizer


def _forget_loaded(translate: ModuleType) -> None:
    """Argos keeps loaded translators and languages; after any change they must go."""
    translate.installed_translates.clear()
    translate.get_installed_languages.cache_clear()


def read_package_metadata(archive: Path) -> dict[str, Any]:
    """Check that ``archive`` is an Argos package (a zip with exactly one top-level folder holding
    ``metadata.json`` of a translate package) and return that metadata."""
    if not zipfile.is_zipfile(archive):
        raise TranslationError(f"{archive} is not an Argos package (not a zip archive)")
    with zipfile.ZipFile(archive) as zf:
        names = [n for n in zf.namelist() if n.strip("/")]
        tops = {n.split("/", 1)[0] for n in names}
        if len(tops) != 1 or any("/" not in n for n in names):
            raise TranslationError(
                f"{archive} must contain exactly one top-level folder, found {sorted(tops)}"
            )
        for name in names:
            if name.startswith("/") or ".." in Path(name).parts:
                raise TranslationError(f"{archive} has an unsafe path: {name}")
        top = tops.pop()
        try:
            metadata: dict[str, Any] = json.loads(zf.read(f"{top}/metadata.json"))
        except KeyError as exc:
            raise TranslationError(f"{archive} has no {top}/metadata.json") from exc
    if metadata.get("type", "translate") != "translate" or not metadata.get("from_code"):
        raise TranslationError(f"{archive} is not a translation package")
    if not metadata.get("to_code"):
        raise TranslationError(f"{archive} is not a translation package")
    return metadata


class ArgosTranslator:
    """Translate with the Argos packages installed in one directory."""

    name = "argos"

    def __init__(self, packages_dir: Path, *, index_url: str = DEFAULT_INDEX_URL) -> None:
        self.packages_dir = Path(packages_dir).resolve()
        self.index_url = index_url
        self._pairs: tuple[int, frozenset[tuple[str, str]]] | None = None

    # ------------------------------------------------------------------ packages

    def installed(self) -> list[InstalledPackage]:
        """Installed translation packages, sorted by pair."""
        with _lock:
            package, _, _ = _argos(self.packages_dir)
            found = [
                InstalledPackage(p.from_code, p.to_code, str(p.package_version), Path(p.package_path))
                for p in package.get_installed_packages()
                if getattr(p, "type", "translate") == "translate"
            ]
        return sorted(found, key=lambda p: (p.source, p.target))

    def install_file(self, archive: Path) -> InstalledPackage:
        """Install a ``.argosmodel`` file (replacing an installed package of the same pair)."""
        metadata = read_package_metadata(archive)
        source, target = str(metadata["from_code"]), str(metadata["to_code"])
        with _lock:
            package, _, translate = _argos(self.packages_dir)
            for old in self.installed():
                if (old.source, old.target) == (source, target):
                    shutil.rmtree(old.path)
            package.install_from_path(Path(archive))
            _forget_loaded(translate)
            self._pairs = None
        for pkg in self.installed():
            if (pkg.source, pkg.target) == (source, target):
                return pkg
        raise TranslationError(f"{archive} was unpacked but Argos does not list {source} → {target}")

    def remove(self, source: str, target: str) -> bool:
        """Uninstall the package of a pair; False when none was installed."""
        with _lock:
            _, _, translate = _argos(self.packages_dir)
            removed = False
            for pkg in self.installed():
                if (pkg.source, pkg.target) == (source, target):
                    shutil.rmtree(pkg.path)
                    removed = True
            _forget_loaded(translate)
            self._pairs = None
        return removed

    def install_from_index(self, source: str, target: str, *, timeout_s: float = 10.0) -> InstalledPackage:
        """Download a pair from the Argos package index and install it (needs internet)."""
        try:
            response = httpx.get(self.index_url, timeout=timeout_s, follow_redirects=True)
            response.raise_for_status()
            index: list[dict[str, Any]] = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise TranslationError(
                f"cannot reach the Argos package index at {self.index_url} ({exc.__class__.__name__}); "
                f"offline, download translate-{source}_{target}.argosmodel on a connected machine and run "
                f"'lotse translate install --file PATH'"
            ) from exc
        entry = next(
            (e for e in index if e.get("from_code") == source and e.get("to_code") == target),
            None,
        )
        if entry is None:
            raise MissingPairError(source, target, "the Argos package index has no package for this pair")
        with tempfile.TemporaryDirectory() as tmp:
            archive = Path(tmp) / f"translate-{source}_{target}.argosmodel"
            errors = []
            for link in entry.get("links", []):
                try:
                    with httpx.stream("GET", link, timeout=timeout_s, follow_redirects=True) as stream:
                        stream.raise_for_status()
                        with archive.open("wb") as out:
                            for chunk in stream.iter_bytes():
                                out.write(chunk)
                    return self.install_file(archive)
                except httpx.HTTPError as exc:
                    errors.append(f"{link}: {exc}")
        raise TranslationError(f"download of {source} → {target} failed: {'; '.join(errors) or 'no links'}")

    # ------------------------------------------------------------------ Translator

    def pairs(self) -> frozenset[tuple[str, str]]:
        # Re-read only when the directory changed (a package installed or removed, also by
        # another process such as the CLI while the app runs).
        self.packages_dir.mkdir(parents=True, exist_ok=True)
        stamp = self.packages_dir.stat().st_mtime_ns
        if self._pairs is None and not any(self.packages_dir.iterdir()):
            return frozenset()  # nothing installed: no need to load Argos at all
        if self._pairs is None or self._pairs[0] != stamp:
            with _lock:
                _, _, translate = _argos(self.packages_dir)
                if self._pairs is not None:
                    _forget_loaded(translate)
                self._pairs = (stamp, frozenset((p.source, p.target) for p in self.installed()))
        return self._pairs[1]

    def can_translate(self, source: str, target: str) -> bool:
        return (source, target) in self.pairs()

    def install_hint(self, source: str, target: str) -> str:
        return (
            f"install one with: lotse translate install --file translate-{source}_{target}.argosmodel "
            f"(or, online: lotse translate install --from-index {source} {target})"
        )

    def translate(self, text: str, *, source: str, target: str) -> str:
        with _lock:
            _, _, translate = _argos(self.packages_dir)
            # Checked first: with the pair missing Argos fails with an AttributeError on None.
            if not self.can_translate(source, target):
                raise MissingPairError(source, target, self.install_hint(source, target))
            languages = {lang.code: lang for lang in translate.get_installed_languages()}
            translation = languages[source].get_translation(languages[target])
            if translation is None:  # pragma: no cover - the pair is installed
                raise MissingPairError(source, target, self.install_hint(source, target))
            try:
                result: str = translation.translate(text)
            except Exception as exc:  # a broken model must not take the caller down
                raise TranslationError(f"Argos failed to translate {source} → {target}: {exc}") from exc
        return result
