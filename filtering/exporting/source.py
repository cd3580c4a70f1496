"""What an export holds: each reviewed image of the chosen sets with its listing and its record.

The sets are read from the folders on disk, as the review tool left them. A review decision
logged but not applied yet (the window closed with `--no-apply-on-close`) is followed: the
person's word is the last one. Only one that applying would carry out, though (the review tool's
rule, `review_tool/plan.py`): a decision whose file moved or changed since is not followed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from filtering.exporting.options import CROPS, ExportError, ExportOptions
from filtering.locks import ModelBusyError, check_model_folder
from filtering.records import (
    CLEAN,
    QUESTIONABLE,
    RECORDS_NAME,
    REJECTED,
    REVIEW_STAGE,
    Record,
    read_records,
)
from review_tool.decisions import Decisions
from review_tool.folder import scan
from review_tool.log import LOG_NAME, REVIEW, read_events
from review_tool.moves import NotApplied
from review_tool.plan import Found, judge
from scars_scrapy.pipelines.manifest import read_manifest

REVIEWED_SETS = (CLEAN, QUESTIONABLE, REJECTED)
STALE_DECISION = "review decision not followed (its file moved or changed since it was decided)"


@dataclass(frozen=True)
class Item:
    image_id: str
    set: str  # the set it is exported in
    source: Path  # the file exported: the crop in its set folder, or the raw photo
    record: Record | None  # its filtering record
    listing: dict[str, Any] | None  # its manifest row
    decision: str | None  # the review's decision; None: not decided in the review tool


@dataclass
class Gathered:
    items: list[Item] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)  # exported with a gap, by kind
    skipped: Counter[str] = field(default_factory=Counter)  # not exported, by reason
    bad_lines: Counter[str] = field(default_factory=Counter)  # unreadable lines, by file


def check_model(options: ExportOptions) -> None:
    """An unknown model, one never filtered, or one a run is filtering now stops the export
    before anything is written."""
    name = options.model
    final, raw = options.data / "final", options.data / "raw"
    exportable = _model_folders(final)
    # A model crawled but not filtered passes here, to get the "never filtered" message below.
    if name not in exportable | _model_folders(raw) or "/" in name or "\\" in name:
        listed = ", ".join(sorted(exportable)) or "none"
        raise ExportError(f"unknown model {name!r}: not a folder under {final} ({listed})")
    if not (options.final / RECORDS_NAME).exists():
        raise ExportError(
            f"model {name!r} was never filtered: no {options.final / RECORDS_NAME} "
            f"(run python filtering/run.py --model {name} first)"
        )
    try:
        check_model_folder(options.final)
    except ModelBusyError as exc:
        # Its sets and records are still changing: an export now would be of half a run.
        raise ExportError(f"{exc}: export it once that run has ended") from None


def _model_folders(parent: Path) -> set[str]:
    """The model folders in `parent`, without hidden ones (the crawler's `.incoming`)."""
    if not parent.is_dir():
        return set()
    return {p.name for p in parent.iterdir() if p.is_dir() and not p.name.startswith(".")}


def gather(options: ExportOptions) -> Gathered:
    gathered = Gathered()
    records = read_records(options.final / RECORDS_NAME)
    gathered.bad_lines[RECORDS_NAME] = records.bad_lines
    manifest = read_manifest(options.raw)
    gathered.bad_lines["the manifest"] = manifest.bad_lines
    read = read_events(options.final / LOG_NAME)
    gathered.bad_lines[LOG_NAME] = len(read.bad_lines)
    decisions = Decisions.replay(REVIEW, read.events)
    found = scan(options.final, REVIEWED_SETS)
    for image_id in sorted(found.locations):
        where, name = found.locations[image_id], found.files[image_id]
        crop = options.final / where / name
        stale = _stale(decisions, image_id, Found(where, name, crop))
        decision = None if stale else decisions.decision(image_id)
        wanted = decision or where
        if wanted not in options.sets:
            if wanted == REJECTED and where != REJECTED:
                gathered.skipped["rejected in the review, not applied yet"] += 1
            continue
        if stale:
            gathered.counts[STALE_DECISION] += 1
        record = records.by_id.get(image_id)
        source = crop if options.images == CROPS else _photo(options, image_id, record)
        if not source.is_file():
            gathered.skipped["whole photo missing from raw/"] += 1
            continue
        decision = decision or _moved_in_review(record)
        item = Item(image_id, wanted, source, record, manifest.rows.get(image_id), decision)
        _count_gaps(item, where, gathered.counts)
        if image_id in found.duplicates:
            gathered.counts[f"in two sets on disk (the one in {where}/ taken)"] += 1
        gathered.items.append(item)
    return gathered


def _stale(decisions: Decisions, image_id: str, found: Found) -> bool:
    """The image's review decision is one applying would not carry out (its file moved or
    changed since it was decided): the export leaves it where it is, as applying would."""
    seen = decisions.last_seen(image_id)
    return isinstance(judge(image_id, decisions.wanted(image_id), seen, found), NotApplied)


def _moved_in_review(record: Record | None) -> str | None:
    """The set a review moved the image to, as its record says (where the log is gone)."""
    if record and record.get("stage") == REVIEW_STAGE:
        return str(record["fate"])
    return None


def _photo(options: ExportOptions, image_id: str, record: Record | None) -> Path:
    """The raw photo a crop came from, as its record names it (else by the crawler's name)."""
    if record and record.get("source"):
        return options.data / str(record["source"])
    return options.raw / f"{image_id}.jpg"


def _count_gaps(item: Item, where: str, counts: Counter[str]) -> None:
    if item.listing is None:
        counts["no manifest row (listing fields empty)"] += 1
    if item.record is None:
        counts["no filtering record (record fields empty)"] += 1
    if item.set != where:
        counts[f"decided {item.set} in the review, not applied yet"] += 1
