"""Looking for a flat after recognition: a checklist for the person's situation (shared accommodation,
the residence rule of § 12a AufenthG, who pays the rent, household size), then, on request, a short
profile (:class:`FlatHelpFlow`) that goes to a caseworker as a ``housing_help`` handover.

Every block of the checklist is a sourced, dated content item (``meta_flow_flat_search_block_*``);
no rent limits are named: they differ per district, the text says where to ask.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from bot.guided.payloads import start_payload
from bot.guided.steps import Finished, Step, Text
from bot.handover.models import HandoverReason

NAME = "flat_search"
HELP = "flat_help"
TOPIC = "housing"

ACCOMMODATION = ("shared", "own", "other")
RESIDENCE = ("place", "state", "none", "unknown")
PAYERS = ("jobcenter", "sozialamt", "own", "unknown")
HOUSEHOLD = ("1", "2", "3", "4", "5plus")
ACCESS = ("none", "wheelchair", "other")
ASAP = "asap"

_ACCOMMODATION_DE = {
    "shared": "wohnt noch in einer Gemeinschaftsunterkunft",
    "own": "hat schon eine eigene Wohnung",
    "other": "wohnt anders (z. B. bei Bekannten)",
}
_RESIDENCE_DE = {
    "place": "Wohnsitzauflage für einen Ort/Landkreis",
    "state": "Wohnsitzauflage für Thüringen (kein bestimmter Ort)",
    "none": "keine Wohnsitzauflage",
    "unknown": "weiß nicht",
}
_PAYER_DE = {
    "jobcenter": "Jobcenter",
    "sozialamt": "Sozialamt",
    "own": "eigenes Einkommen",
    "unknown": "weiß nicht",
}
_ACCESS_DE = {"none": "keine", "wheelchair": "rollstuhlgerecht"}


def _household(value: str) -> str:
    return "5 oder mehr" if value == "5plus" else value


class FlatSearchFlow:
    name = NAME
    topic = TOPIC
    starter = "utter_faq_housing/flat_search"
    steps: Mapping[str, Step] = {
        "accommodation": Step.choice(
            "accommodation",
            "utter_flow_flat_search_ask_accommodation",
            ACCOMMODATION,
            "meta_flow_flat_search_acc_",
        ),
        "residence": Step.choice(
            "residence", "utter_flow_flat_search_ask_residence", RESIDENCE, "meta_flow_flat_search_res_"
        ),
        "district": Step("district", "utter_flow_flat_search_ask_district", free_text=True, optional=True),
        "payer": Step.choice("payer", "utter_flow_flat_search_ask_payer", PAYERS, "meta_flow_flat_payer_"),
        "household": Step.choice(
            "household", "utter_flow_flat_search_ask_household", HOUSEHOLD, "meta_flow_flat_household_"
        ),
    }

    def next_step(self, answers: Mapping[str, str]) -> str | None:
        for name in ("accommodation", "residence"):
            if name not in answers:
                return name
        if answers["residence"] == "place" and "district" not in answers:
            return "district"
        for name in ("payer", "household"):
            if name not in answers:
                return name
        return None

    def finish(self, answers: Mapping[str, str], today: date) -> Finished:
        blocks: list[str] = []
        if answers["accommodation"] == "shared":
            blocks.append("meta_flow_flat_search_block_move_out")
        residence = answers["residence"]
        if residence == "place":
            blocks.append(
                "meta_flow_flat_search_block_residence_place"
                if answers.get("district")
                else "meta_flow_flat_search_block_residence"
            )
        elif residence in ("state", "unknown"):
            blocks.append("meta_flow_flat_search_block_residence")
        payer = answers["payer"]
        if payer in ("jobcenter", "unknown"):
            blocks += ["meta_flow_flat_search_block_jobcenter", "meta_flow_flat_search_block_deposit"]
        elif payer == "sozialamt":
            blocks.append("meta_flow_flat_search_block_sozialamt")
        blocks += ["meta_flow_flat_search_block_wbs", "meta_flow_flat_search_block_registration"]
        text = Text(
            "utter_flow_flat_search_result",
            values={"district": answers.get("district", "")},
            parts={"blocks": tuple(blocks)},
            buttons=(("meta_flow_flat_search_need_help", start_payload(HELP)),),
        )
        result: dict[str, Any] = {"blocks": [b.removeprefix("meta_flow_flat_search_block_") for b in blocks]}
        return Finished([text], result)

    def case_lines(self, answers: Mapping[str, str], result: Mapping[str, Any]) -> list[str]:
        lines = []
        if "accommodation" in answers:
            lines.append(f"Wohnsituation: {_ACCOMMODATION_DE.get(answers['accommodation'], '?')}")
        if "residence" in answers:
            place = f" ({answers['district']})" if answers.get("district") else ""
            lines.append(
                f"Wohnsitzregelung § 12a AufenthG: {_RESIDENCE_DE.get(answers['residence'], '?')}{place}"
            )
        if "payer" in answers:
            lines.append(f"Miete zahlt: {_PAYER_DE.get(answers['payer'], '?')}")
        if "household" in answers:
            lines.append(f"Haushalt: {_household(answers['household'])} Person(en)")
        return lines


class FlatHelpFlow:
    """The profile for a caseworker who helps to find a flat; ends in a ``housing_help`` handover."""

    name = HELP
    topic = TOPIC
    starter = "utter_flow_flat_help_intro"
    steps: Mapping[str, Step] = {
        "household": Step.choice(
            "household", "utter_flow_flat_help_ask_household", HOUSEHOLD, "meta_flow_flat_household_"
        ),
        "area": Step("area", "utter_flow_flat_help_ask_area", free_text=True),
        "move_in": Step(
            "move_in",
            "utter_flow_flat_help_ask_move_in",
            ((ASAP, "meta_flow_flat_help_asap"),),
            free_text=True,
        ),
        "access": Step.choice(
            "access", "utter_flow_flat_help_ask_access", ACCESS, "meta_flow_flat_help_access_"
        ),
        "access_other": Step("access_other", "utter_flow_flat_help_ask_access_other", free_text=True),
        "payer": Step.choice("payer", "utter_flow_flat_help_ask_payer", PAYERS, "meta_flow_flat_payer_"),
    }

    def next_step(self, answers: Mapping[str, str]) -> str | None:
        for name in ("household", "area", "move_in", "access"):
            if name not in answers:
                return name
        if answers["access"] == "other" and "access_other" not in answers:
            return "access_other"
        return None if "payer" in answers else "payer"

    def finish(self, answers: Mapping[str, str], today: date) -> Finished:
        access = answers["access"]
        profile: dict[str, Any] = {
            "household": answers["household"],
            "area": answers["area"],
            "move_in": answers["move_in"],
            "accessibility": answers.get("access_other", "") if access == "other" else access,
            "payer": answers["payer"],
        }
        return Finished(
            [Text("utter_flow_flat_help_done")],
            {"profile": profile},
            handover=HandoverReason.HOUSING_HELP,
            handover_topic=TOPIC,
        )

    def case_lines(self, answers: Mapping[str, str], result: Mapping[str, Any]) -> list[str]:
        lines = []
        if "household" in answers:
            lines.append(f"Haushalt: {_household(answers['household'])} Person(en)")
        if "area" in answers:
            lines.append(f"Gewünschte Orte/Landkreise: {answers['area']}")
        if "move_in" in answers:
            move_in = "so bald wie möglich" if answers["move_in"] == ASAP else answers["move_in"]
            lines.append(f"Einzug: {move_in}")
        if "access" in answers:
            need = answers.get("access_other") or "andere" if answers["access"] == "other" else None
            lines.append(f"Barrierefreiheit: {need or _ACCESS_DE.get(answers['access'], '?')}")
        if "payer" in answers:
            lines.append(f"Miete zahlt: {_PAYER_DE.get(answers['payer'], '?')}")
        return lines
