"""The HTML report of a model: counts per stage and contact sheets of what each set holds and of
a sample of each rejection reason, so a person sees at a glance whether the thresholds are right.
"""

from __future__ import annotations

import random
from collections import defaultdict
from pathlib import Path

from filtering.classify import LIKELY_OTHER_REASON, thresholds_in_use
from filtering.files import write_text_atomic
from filtering.next_steps import next_steps
from filtering.records import DUPLICATE, PLACED, QUESTIONABLE, RECORDS_NAME, REJECTED, Record
from filtering.report_html import Thumb, contact_sheet, esc, page, table
from filtering.settings import DEFAULT_SHOWN, FilterSettings, option
from filtering.stage_list import governing, governing_doubt
from filtering.summary import HEADER, stage_counts, table_rows

REPORT_NAME = "report.html"
PER_SET = 120  # thumbnails shown of each set
PER_REASON = 24  # thumbnails shown of each rejection reason


def write_report(model: str, records: dict[str, Record], settings: FilterSettings) -> Path:
    ordered = [records[i] for i in sorted(records)]
    sections = [
        f"<p>{len(ordered):,} raw images. The whole table is in {esc(RECORDS_NAME)}.</p>",
        "<h2>Stages</h2>",
        table(HEADER, table_rows(stage_counts(ordered)), text_columns=(len(HEADER) - 1,)),
        _what_next(model, records, settings),
    ]
    for fate in PLACED:
        members = [r for r in ordered if r["fate"] == fate]
        if members:
            sections.append(_sheet(f"{fate}: {len(members):,}", members, PER_SET, settings.data))
    for reason, members in sorted(_rejections(ordered).items()):
        title = f"rejected, {reason}: {len(members):,}{_governed(reason, settings)}"
        sections.append(_sheet(title, members, PER_REASON, settings.data))
    for doubt, members in sorted(_doubted(ordered).items()):
        title = f"questionable, doubted as {doubt}: {len(members):,}"
        title += _options(governing_doubt(doubt), settings)
        sections.append(_sheet(title, members, PER_REASON, settings.data))
    path = settings.final(model) / REPORT_NAME
    write_text_atomic(path, page(f"scars filtering report: {model}", sections))
    return path


def _rejections(records: list[Record]) -> dict[str, list[Record]]:
    grouped: dict[str, list[Record]] = defaultdict(list)
    for record in records:
        if record["fate"] in (REJECTED, DUPLICATE):
            grouped[f"{record['stage']}/{record['reason']}"].append(record)
    return grouped


def _what_next(model: str, records: dict[str, Record], settings: FilterSettings) -> str:
    """The commands the run printed, in a box: what to do next with this model."""
    steps = next_steps(model, settings, records)
    if not steps:
        return ""
    lines = "".join(f"<div>{esc(line)}</div>" for line in steps)
    return f'<div class="next"><h2>What next</h2><code>{lines}</code></div>'


def _doubted(records: list[Record]) -> dict[str, list[Record]]:
    """Crops in questionable by the doubts that kept them out of clean."""
    grouped: dict[str, list[Record]] = defaultdict(list)
    for record in records:
        if record["fate"] == QUESTIONABLE:
            for doubt in record.get("doubts") or ():
                grouped[doubt].append(record)
    return grouped


def _governed(stage_reason: str, settings: FilterSettings) -> str:
    """` (governed by --edge-margin 0.01)`: the options behind a reason, with their values."""
    stage, _, reason = stage_reason.partition("/")
    return _options(governing(stage, reason), settings)


def _options(names: tuple[str, ...], settings: FilterSettings) -> str:
    if not names:
        return ""
    thresholds = {"front_conf", "other_conf"} & set(names)
    in_use = thresholds_in_use(settings) if thresholds and settings.classifier.exists() else {}
    values = ", ".join(f"{option(n)} {_value(getattr(settings, n), n, in_use)}" for n in names)
    return f" (governed by {values})"


def _value(value: object, name: str, in_use: dict[str, str]) -> str:
    """The value a run used: a threshold as applied (the classifier's own when not given)."""
    if name in in_use:
        return in_use[name]
    return DEFAULT_SHOWN.get(name, str(value)) if value is None else str(value)


def _sheet(title: str, members: list[Record], limit: int, data: Path) -> str:
    # A fixed seed: the same records give the same report.
    sample = members if len(members) <= limit else random.Random(0).sample(members, limit)
    note = "" if len(members) <= limit else f" (a sample of {limit})"
    thumbs = [Thumb(_picture(r, data), _caption(r)) for r in sample]
    return f"<h2>{esc(title)}{esc(note)}</h2>" + contact_sheet(thumbs)


def _picture(record: Record, data: Path) -> Path:
    """The crop where there is one (what the stages judged), else the raw photo."""
    for key in ("output", "crop"):
        if record.get(key) and (data / record[key]).exists():
            return data / record[key]
    return data / record["source"]


def _caption(record: Record) -> str:
    parts = [record["image_id"]]
    if record.get("detector_conf") is not None:
        parts.append(f"{record['detector_class']} {record['detector_conf']:.2f}")
    if record.get("classifier_label"):
        parts.append(f"{record['classifier_label']} {record['classifier_conf']:.2f}")
        if record.get("reason") == LIKELY_OTHER_REASON:
            parts.append(f"other {record['classifier_other']:.2f}")
    if record.get("doubts"):
        parts.append("doubts: " + ", ".join(record["doubts"]))
    if record.get("duplicate_of"):
        parts.append(f"= {record['duplicate_of']}")
    return " | ".join(parts)
