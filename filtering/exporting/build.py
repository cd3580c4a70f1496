"""One export: check, gather, split, write beside the target, rename into place."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from filtering.exporting import card
from filtering.exporting.metadata import row, write_tables
from filtering.exporting.options import TRAIN, ExportError, ExportOptions
from filtering.exporting.source import Gathered, check_model, gather
from filtering.exporting.split import assign_splits
from filtering.exporting.target import MARKER, check_target, move_into_place, put_file, staging
from filtering.records import TO_LABEL


@dataclass(frozen=True)
class Exported:
    rows: list[dict[str, Any]]
    gathered: Gathered
    not_linked: int


def run_export(options: ExportOptions, command: str) -> Exported:
    """Write the export; raise ExportError (nothing written) on bad input."""
    check_model(options)
    check_target(options)
    gathered = gather(options)
    if not gathered.items:
        raise ExportError(_nothing_to_export(options))
    split_of = assign_splits(gathered.items, options.fractions, options.sets, options.seed)
    splits = [name for name, share in options.fractions.items() if share > 0]
    created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    with staging(options.out) as folder:
        rows, not_linked = _write_images(folder, gathered, split_of, options.link)
        write_tables(folder, rows)
        text = card.render(
            card.CardInput(options, rows, gathered, splits, command, created, not_linked)
        )
        (folder / card.CARD_NAME).write_text(text, encoding="utf-8")
        _write_marker(folder / MARKER, options, rows, created)
        move_into_place(folder, options.out)
    return Exported(rows, gathered, not_linked)


def _nothing_to_export(options: ExportOptions) -> str:
    sets = ", ".join(f"{s}/" for s in options.sets)
    message = f"nothing to export: no images in {sets} of {options.final}"
    waiting = options.final / TO_LABEL
    if waiting.is_dir() and any(waiting.iterdir()):
        # The state after a first filtering run, before any classifier is trained.
        message += f"; the crops in {waiting} wait for labels and a classifier (see README)"
    return message


def _write_images(
    folder: Path, gathered: Gathered, split_of: dict[str, str], link: bool
) -> tuple[list[dict[str, Any]], int]:
    rows, not_linked = [], 0
    for item in sorted(gathered.items, key=lambda i: (split_of[i.image_id], i.set, i.image_id)):
        split = split_of[item.image_id]
        name = f"{split}/{item.set}/{item.image_id}{item.source.suffix.lower()}"
        not_linked += not put_file(item.source, folder / name, link)
        rows.append(row(item, name, split))
    return rows, not_linked


def _write_marker(
    path: Path, options: ExportOptions, rows: list[dict[str, Any]], created: str
) -> None:
    """`export.json`: what made this export, for scripts, and the mark `--replace` looks for."""
    counts: dict[str, dict[str, int]] = {}
    for values in rows:
        per_set = counts.setdefault(values["split"], {})
        per_set[values["set"]] = per_set.get(values["set"], 0) + 1
    settings = {k: str(v) if isinstance(v, Path) else v for k, v in asdict(options).items()}
    document = {
        "created_at": created,
        "options": settings,
        "images": len(rows),
        "counts": counts,
        "train_split": TRAIN,
    }
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
