"""Which content keys belong to the guided flows (no imports: the content review uses it)."""

from __future__ import annotations

GUIDED_PREFIXES = ("utter_flow_", "meta_flow_", "utter_reminder", "meta_reminder_", "meta_button_stop")
GUIDED_KEYS = frozenset(
    {
        "meta_button_skip",
        "meta_button_work_out_date",
        "meta_button_family_check",
        "meta_date_format",
        "meta_months",
    }
)


def is_guided_key(key: str) -> bool:
    """Texts of the guided flows: written in the required languages; best-effort languages get the
    English text (and ``meta_guided_english_note`` in their own language says so)."""
    return key.startswith(GUIDED_PREFIXES) or key in GUIDED_KEYS
