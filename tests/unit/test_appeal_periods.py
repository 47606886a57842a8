"""The appeal period table (bot/guided/data/appeal_periods.yml, bot/guided/periods.py): its contents, the
validation of a broken table, and that a period stated in the letter always wins."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from bot.guided.periods import DECISIONS, PERIODS_FILE, PeriodTableError, load_periods


def test_the_shipped_table() -> None:
    table = load_periods()
    assert {key: table.weeks_for(key) for key in DECISIONS} == {
        "rejected": 2,
        "manifestly": 1,
        "dublin": 1,
        "lower": 2,
        "unknown": 1,
    }
    assert table.valid_from == date(2024, 10, 31)
    assert table.checked_on == date(2026, 12, 6)
    assert "§ 74 Abs. 1 AsylG" in table.rules
    assert "Rechtsbehelfsbelehrung" in table.note
    assert table.rule_for("dublin").law == "§ 74 Abs. 1 Hs. 2, § 34a Abs. 2 AsylG"
    assert table.rule_for("manifestly").law == "§ 74 Abs. 1 Hs. 2, § 36 Abs. 3 AsylG"


def test_unknown_is_the_shortest_period() -> None:
    table = load_periods()
    assert table.weeks_for("unknown") == min(table.weeks_for(key) for key in DECISIONS)


def test_sources_cover_the_cited_laws() -> None:
    urls = [source.url for source in load_periods().sources]
    assert "https://www.gesetze-im-internet.de/asylvfg_1992/__74.html" in urls
    assert "https://www.gesetze-im-internet.de/asylvfg_1992/__36.html" in urls
    assert "https://www.gesetze-im-internet.de/asylvfg_1992/__34a.html" in urls
    assert any("2024/1348" in url for url in urls)
    assert all(url.startswith("https://") for url in urls)


def test_the_file_header_says_when_to_change_it() -> None:
    header = PERIODS_FILE.read_text(encoding="utf-8").split("\nrules:")[0]
    assert "When to change it" in header
    assert "ALWAYS wins" in header


def test_a_stated_period_always_wins() -> None:
    table = load_periods()
    assert table.period_for("rejected", None) == (2, "table")
    assert table.period_for("unknown", None) == (1, "table")
    assert table.period_for("rejected", 1) == (1, "letter")  # shorter than the table
    assert table.period_for("dublin", 2) == (2, "letter")  # longer than the table
    assert table.period_for("unknown", 4) == (4, "letter")


@pytest.mark.parametrize("stated", [0, -1, True])
def test_an_impossible_stated_period_is_refused(stated: int) -> None:
    with pytest.raises(ValueError, match="stated period"):
        load_periods().period_for("rejected", stated)


def test_an_unknown_decision_type_fails_loudly() -> None:
    table = load_periods()
    with pytest.raises(ValueError, match="unknown decision type"):
        table.weeks_for("rejectd")
    with pytest.raises(ValueError, match="unknown decision type"):
        table.period_for("rejectd", 2)  # even when the letter states the period


def test_the_table_is_cached_and_read_only() -> None:
    table = load_periods()
    assert load_periods() is table
    with pytest.raises(TypeError):
        table.decisions["rejected"] = table.decisions["dublin"]  # type: ignore[index]


# ---------------------------------------------------------------------------------- broken tables


def shipped() -> dict[str, object]:
    data = yaml.safe_load(PERIODS_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "periods.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_a_copy_of_the_shipped_table_loads(tmp_path: Path) -> None:
    table = load_periods(write(tmp_path, shipped()))
    assert table.weeks_for("rejected") == 2
    assert load_periods(str(tmp_path / "periods.yml")).weeks_for("dublin") == 1


@pytest.mark.parametrize("weeks", [0, 3, 4, "2", 1.5, None, True])
def test_weeks_must_be_one_or_two(tmp_path: Path, weeks: object) -> None:
    data = shipped()
    data["decisions"]["lower"]["weeks"] = weeks  # type: ignore[index]
    with pytest.raises(PeriodTableError, match=r"lower\.weeks"):
        load_periods(write(tmp_path, data))


@pytest.mark.parametrize("key", DECISIONS)
def test_every_decision_key_is_required(tmp_path: Path, key: str) -> None:
    data = shipped()
    del data["decisions"][key]  # type: ignore[attr-defined]
    with pytest.raises(PeriodTableError, match=f"missing \\['{key}'\\]"):
        load_periods(write(tmp_path, data))


def test_no_unknown_decision_keys(tmp_path: Path) -> None:
    data = shipped()
    data["decisions"]["subsidiary"] = {"weeks": 2, "law": "x"}  # type: ignore[index]
    with pytest.raises(PeriodTableError, match="unknown \\['subsidiary'\\]"):
        load_periods(write(tmp_path, data))


@pytest.mark.parametrize("value", ["2024-13-01", "31.10.2024", None, 20241031])
def test_valid_from_must_be_a_date(tmp_path: Path, value: object) -> None:
    data = shipped()
    data["valid_from"] = value
    with pytest.raises(PeriodTableError, match="valid_from"):
        load_periods(write(tmp_path, data))


@pytest.mark.parametrize(
    ("written", "message"), [("2024-10-31 12:00:00", "valid_from"), ("2024-13-01", "cannot read")]
)
def test_valid_from_as_written_by_hand(tmp_path: Path, written: str, message: str) -> None:
    text = PERIODS_FILE.read_text(encoding="utf-8").replace(
        "valid_from: 2024-10-31", f"valid_from: {written}"
    )
    path = tmp_path / "periods.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PeriodTableError, match=message):
        load_periods(path)


def test_checked_on_not_before_valid_from(tmp_path: Path) -> None:
    data = shipped()
    data["checked_on"] = date(2020, 1, 1)
    with pytest.raises(PeriodTableError, match="checked_on"):
        load_periods(write(tmp_path, data))


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("rules", "", "rules"),
        ("note", None, "note"),
        ("sources", [], "sources"),
        ("sources", [{"title": "x", "url": "http://insecure.example"}], "https"),
        ("sources", [{"title": "x"}], "url"),
        ("sources", ["just a string"], "source"),
        ("decisions", ["rejected"], "decisions"),
    ],
)
def test_other_fields_are_checked(tmp_path: Path, key: str, value: object, message: str) -> None:
    data = shipped()
    data[key] = value
    with pytest.raises(PeriodTableError, match=message):
        load_periods(write(tmp_path, data))


def test_missing_law_text(tmp_path: Path) -> None:
    data = shipped()
    data["decisions"]["dublin"] = {"weeks": 1}  # type: ignore[index]
    with pytest.raises(PeriodTableError, match="law"):
        load_periods(write(tmp_path, data))


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(PeriodTableError, match="cannot read"):
        load_periods(tmp_path / "missing.yml")
    broken = tmp_path / "broken.yml"
    broken.write_text("decisions: [unclosed", encoding="utf-8")
    with pytest.raises(PeriodTableError, match="cannot read"):
        load_periods(broken)
    (tmp_path / "list.yml").write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(PeriodTableError, match="not a mapping"):
        load_periods(tmp_path / "list.yml")
