"""Loading and checking the three directory files; every loader takes the data directory.

``districts.yml``, ``gazetteer.yml`` (or ``gazetteer.csv``) and ``services.yml``: each a list of
entries, at the top level or under one key (``districts:``, ``municipalities:`` with optional
``localities:`` — Ortsteile —, ``services:``). Fields the code does not use are ignored.
A file that breaks a rule (unknown district, kind or topic, duplicate key, a service without a
source) is an error: the directory is loaded whole or not at all.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.directory.models import SERVICE_KINDS, SERVICE_TOPICS, STATE_WIDE, District, Municipality, Service

DATA_DIR = Path(__file__).parent / "data"
DISTRICTS_FILE = "districts.yml"
GAZETTEER_FILES = ("gazetteer.yml", "gazetteer.csv")
SERVICES_FILE = "services.yml"
_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,100}")


@dataclass(frozen=True, slots=True)
class Directory:
    districts: tuple[District, ...] = ()
    municipalities: tuple[Municipality, ...] = ()
    services: tuple[Service, ...] = ()
    by_key: dict[str, District] = field(default_factory=dict)
    by_ags: dict[str, District] = field(default_factory=dict)

    def district(self, key: str | None) -> District | None:
        return self.by_key.get(key) if key else None


def _entries(raw: Any, names: tuple[str, ...], path: Path) -> list[dict[str, Any]]:
    if isinstance(raw, dict):
        lists = [raw[n] for n in names if isinstance(raw.get(n), list)]
        if not lists:
            lists = [v for v in raw.values() if isinstance(v, list)]
        if len(lists) != 1:
            raise ValueError(f"{path}: expected one list of entries")
        raw = lists[0]
    if not isinstance(raw, list) or not all(isinstance(e, dict) for e in raw):
        raise ValueError(f"{path}: expected a list of entries")
    return raw


def _text(entry: dict[str, Any], name: str) -> str | None:
    value = entry.get(name)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _required(entry: dict[str, Any], name: str, path: Path) -> str:
    value = _text(entry, name)
    if value is None:
        raise ValueError(f"{path}: entry {entry.get('key') or entry.get('id') or entry!r} needs {name!r}")
    return value


def _names(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    return tuple(str(v).strip() for v in items if str(v).strip())


def load_districts(data_dir: Path) -> tuple[District, ...]:
    path = data_dir / DISTRICTS_FILE
    out: list[District] = []
    for entry in _entries(yaml.safe_load(path.read_text(encoding="utf-8")), ("districts",), path):
        key = _required(entry, "key", path)
        if _SLUG.fullmatch(key) is None or key == STATE_WIDE:
            raise ValueError(f"{path}: bad district key {key!r}")
        out.append(
            District(
                key=key,
                name=_required(entry, "name", path),
                kind=_text(entry, "kind") or "",
                ags=_required(entry, "ags", path).zfill(5),
                seat=_text(entry, "seat") or _required(entry, "name", path),
                lat=float(entry["lat"]),
                lon=float(entry["lon"]),
                alt_names=_names(entry.get("alt_names")),
            )
        )
    for attr in ("key", "ags"):
        values = [getattr(d, attr) for d in out]
        if len(set(values)) != len(values):
            raise ValueError(f"{path}: duplicate district {attr}")
    return tuple(out)


def _gazetteer_rows(data_dir: Path) -> tuple[Path, list[dict[str, Any]]]:
    for name in GAZETTEER_FILES:
        path = data_dir / name
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        if name.endswith(".csv"):
            lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
            return path, list(csv.DictReader(io.StringIO("\n".join(lines))))
        raw = yaml.safe_load(text)
        if isinstance(raw, dict) and isinstance(raw.get("municipalities"), list):
            # municipalities, and optionally "localities": Ortsteile named by a source
            rows = [*raw["municipalities"], *(raw.get("localities") or [])]
            return path, _entries(rows, (), path)
        return path, _entries(raw, ("gazetteer", "places"), path)
    return data_dir / GAZETTEER_FILES[0], []


def load_gazetteer(data_dir: Path, districts: tuple[District, ...]) -> tuple[Municipality, ...]:
    """Municipalities (and listed Ortsteile); each must belong to a known district."""
    path, rows = _gazetteer_rows(data_dir)
    known = {d.ags for d in districts}
    out: list[Municipality] = []
    for entry in rows:
        name = _required(entry, "name", path)
        ags = _text(entry, "ags")
        district_ags = _text(entry, "district_ags") or (ags[:5] if ags else None)
        if district_ags not in known:
            raise ValueError(f"{path}: {name!r} belongs to no known district ({district_ags!r})")
        out.append(Municipality(name=name, ags=ags, district_ags=district_ags))
    return tuple(out)


def _date(value: object) -> date | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def load_services(data_dir: Path, districts: tuple[District, ...]) -> tuple[Service, ...]:
    path = data_dir / SERVICES_FILE
    keys = {d.key for d in districts} | {STATE_WIDE}
    out: list[Service] = []
    for entry in _entries(yaml.safe_load(path.read_text(encoding="utf-8")), ("services",), path):
        sid = _required(entry, "id", path)
        district, kind = _required(entry, "district", path), _required(entry, "kind", path)
        topics = _names(entry.get("topics"))
        also = _names(entry.get("also_serves"))
        source = entry.get("source") or {}
        problems = [
            f"bad id {sid!r}" if _SLUG.fullmatch(sid) is None else "",
            f"unknown district {district!r}" if district not in keys else "",
            f"also_serves unknown {sorted(set(also) - keys)}" if set(also) - keys else "",
            f"unknown kind {kind!r}" if kind not in SERVICE_KINDS else "",
            f"unknown topics {sorted(set(topics) - SERVICE_TOPICS)}" if set(topics) - SERVICE_TOPICS else "",
            "a source needs a title" if not isinstance(source, dict) or not _text(source, "title") else "",
        ]
        if any(problems):
            raise ValueError(f"{path}: service {sid!r}: {'; '.join(p for p in problems if p)}")
        out.append(
            Service(
                id=sid,
                district=district,
                kind=kind,
                topics=topics,
                name=_required(entry, "name", path),
                source_title=str(source["title"]).strip(),
                source_url=_text(source, "url"),
                as_of=_date(entry.get("as_of")),
                address=_text(entry, "address"),
                phone=_text(entry, "phone"),
                email=_text(entry, "email"),
                url=_text(entry, "url"),
                languages=_names(entry.get("languages")),
                opening_hours=_text(entry, "opening_hours"),
                also_serves=also,
            )
        )
    ids = [s.id for s in out]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{path}: duplicate service id")
    return tuple(out)


@lru_cache(maxsize=8)
def load_directory(data_dir: Path) -> Directory:
    """The whole directory of ``data_dir`` (cached; the files change only with a release).

    Without a ``districts.yml`` the directory is empty (the state-wide answer is all there is).
    """
    if not (data_dir / DISTRICTS_FILE).exists():
        return Directory()
    districts = load_districts(data_dir)
    services = load_services(data_dir, districts) if (data_dir / SERVICES_FILE).exists() else ()
    return Directory(
        districts=districts,
        municipalities=load_gazetteer(data_dir, districts),
        services=services,
        by_key={d.key: d for d in districts},
        by_ags={d.ags: d for d in districts},
    )
