"""The quality benchmark's figures from filtering records and the photos' true views."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from filtering.classify import LIKELY_OTHER_REASON

FRONT_VIEWS = ("front",)  # what clean must hold: straight fronts only
FRONT_FACING = ("front", "front_three_quarter")  # what clean and questionable together must hold


def where(record: Mapping[str, Any]) -> str:
    """Where a photo ended: its set, or `rejected:<reason>` / `duplicate:<reason>`."""
    fate = str(record["fate"])
    if fate in ("rejected", "duplicate"):
        return f"{fate}:{record.get('reason')}"
    return fate


def ratio(part: int, whole: int) -> dict[str, Any]:
    """A ratio with its counts beside it."""
    return {"value": round(part / whole, 3) if whole else None, "of": f"{part} of {whole}"}


def _cropped(record: Mapping[str, Any]) -> bool:
    """Detection kept a box (the classifier may have rejected it before its crop was written)."""
    early = record["fate"] in ("rejected", "duplicate") and record.get("stage") in (
        "load",
        "exact_duplicates",
        "detect",
    )
    return not early


def per_view(records: Mapping[str, Mapping[str, Any]], views: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for view in sorted(set(views.values())):
        mine = [r for i, r in records.items() if views.get(i) == view]
        rejected = Counter(
            f"{r['stage']}:{r['reason']}" for r in mine if r["fate"] in ("rejected", "duplicate")
        )
        out[view] = {
            "photos": len(mine),
            "crops": sum(_cropped(r) for r in mine),
            "rejected_by_reason": dict(sorted(rejected.items())),
            "ended": dict(sorted(Counter(where(r) for r in mine).items())),
        }
    return out


def overall(records: Mapping[str, Mapping[str, Any]], views: Mapping[str, str]) -> dict[str, Any]:
    def view_of(fate: str) -> list[str]:
        return [views[i] for i, r in records.items() if r["fate"] == fate]

    clean, questionable = view_of("clean"), view_of("questionable")
    facing = [i for i in records if views[i] in FRONT_FACING]
    kept = sum(v in FRONT_FACING for v in clean + questionable)
    fronts = [i for i in records if views[i] in FRONT_VIEWS]
    return {
        "clean_precision": ratio(sum(v in FRONT_VIEWS for v in clean), len(clean)),
        "clean_holds": dict(Counter(clean)),
        "questionable_front_facing_share": ratio(
            sum(v in FRONT_FACING for v in questionable), len(questionable)
        ),
        "questionable_holds": dict(Counter(questionable)),
        "front_facing_recall": ratio(kept, len(facing)),
        "straight_front_recall_in_clean": ratio(sum(v in FRONT_VIEWS for v in clean), len(fronts)),
        **_without_other_threshold(records, views, questionable, kept, len(facing)),
    }


def _without_other_threshold(
    records: Mapping[str, Mapping[str, Any]],
    views: Mapping[str, str],
    questionable: list[str],
    kept: int,
    facing: int,
) -> dict[str, Any]:
    """What the `other` threshold changed: the crops it rejected would otherwise have been
    questionable (other was not their first class, and they were not clean)."""
    likely = [views[i] for i, r in records.items() if r.get("reason") == LIKELY_OTHER_REASON]
    held = questionable + likely
    return {
        "rejected_as_likely_other": dict(Counter(likely)),
        "questionable_front_facing_share_without_other_conf": ratio(
            sum(v in FRONT_FACING for v in held), len(held)
        ),
        "front_facing_recall_without_other_conf": ratio(
            kept + sum(v in FRONT_FACING for v in likely), facing
        ),
    }


def mistakes(records: Mapping[str, Mapping[str, Any]], views: Mapping[str, str]) -> list[str]:
    """Photos the classifier placed wrongly: a non-front in clean, a non-front-facing kept, or a
    front-facing crop rejected by the classifier."""
    out = []
    for image_id, r in sorted(records.items()):
        view, fate = views[image_id], r["fate"]
        wrong = (fate == "clean" and view not in FRONT_VIEWS) or (
            fate == "questionable" and view not in FRONT_FACING
        )
        lost = view in FRONT_FACING and r.get("stage") == "classify" and fate == "rejected"
        if wrong or lost:
            said = (
                f"{r['classifier_label']} {r['classifier_conf']} other {r.get('classifier_other')}"
            )
            out.append(f"{view}/{image_id}: {said} -> {fate}")
    return out


def figures(
    records: Mapping[str, Mapping[str, Any]], views: Mapping[str, str], seconds: Sequence[float]
) -> dict[str, Any]:
    return {
        "per_view": per_view(records, views),
        "overall": overall(records, views),
        "training_seconds_per_fold": [round(s, 1) for s in seconds],
        "mistakes": mistakes(records, views),
    }


def print_figures(results: Mapping[str, Any]) -> None:
    for recipe, figs in results["recipes"].items():
        print(f"== recipe {recipe}")
        for view, row in figs["per_view"].items():
            ended = ", ".join(f"{k} {n}" for k, n in row["ended"].items())
            print(f"  {view:<20} photos {row['photos']:>3}  crops {row['crops']:>3}  {ended}")
        for name, value in figs["overall"].items():
            shown = f"{value['value']} ({value['of']})" if "of" in value else value
            print(f"  {name}: {shown}")
        print(f"  training seconds per fold: {figs['training_seconds_per_fold']}")
        for line in figs["mistakes"]:
            print(f"  wrong: {line}")
