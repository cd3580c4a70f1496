"""`metadata.jsonl` and `metadata.csv`: one row per exported image, `file_name` first.

That is the table Hugging Face `datasets`' imagefolder builder joins to the images, by the file
name relative to the table's folder. The export's own two tables (same rows and columns; a value
not known is null in JSONL and an empty cell in CSV) hold every image. Each split folder also has
its rows as `metadata.jsonl`: with split folders imagefolder reads only the tables inside them
(and refuses a folder with tables in two formats), so `load_dataset("imagefolder", data_dir=...)`
gets every column in the right split.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from filtering.exporting.source import Item

JSONL_NAME = "metadata.jsonl"
CSV_NAME = "metadata.csv"
# From the crawler's manifest (country_site: the host of the listing's URL).
LISTING_FIELDS = (
    "listing_id", "listing_url", "make", "model", "version", "first_registration", "price",
    "country_site", "image_url", "stored_at",
)  # fmt: skip
# From filtering's record (box: x1, y1, x2, y2 in the whole photo's pixels).
RECORD_FIELDS = (
    "box_x1", "box_y1", "box_x2", "box_y2", "detector_class", "detector_conf",
    "classifier_label", "classifier_conf", "filter_fate", "filter_stage", "filter_reason",
)  # fmt: skip
COLUMNS = (
    "file_name", "image_id", "split", "set", "review_decision",
    *LISTING_FIELDS, *RECORD_FIELDS,
)  # fmt: skip


def row(item: Item, file_name: str, split: str) -> dict[str, Any]:
    values: dict[str, Any] = {
        "file_name": file_name,
        "image_id": item.image_id,
        "split": split,
        "set": item.set,
        "review_decision": item.decision,
    }
    return values | listing_values(item.listing) | record_values(item.record)


def listing_values(listing: dict[str, Any] | None) -> dict[str, Any]:
    if listing is None:
        return dict.fromkeys(LISTING_FIELDS)
    values = {key: listing.get(key) for key in LISTING_FIELDS}
    url = listing.get("listing_url")
    values["country_site"] = urlsplit(url).netloc or None if isinstance(url, str) else None
    return values


def record_values(record: dict[str, Any] | None) -> dict[str, Any]:
    if record is None:
        return dict.fromkeys(RECORD_FIELDS)
    box = record.get("box")
    corners = box if isinstance(box, list) and len(box) == 4 else [None] * 4
    values = dict(zip(RECORD_FIELDS[:4], corners, strict=True))
    values |= {key: record.get(key) for key in RECORD_FIELDS[4:8]}
    values |= {key: record.get(key.removeprefix("filter_")) for key in RECORD_FIELDS[8:]}
    return values


def write_tables(folder: Path, rows: list[dict[str, Any]]) -> None:
    _write_jsonl(folder / JSONL_NAME, rows)
    with (folder / CSV_NAME).open("w", encoding="utf-8", newline="") as table:
        writer = csv.DictWriter(table, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows({k: "" if v is None else v for k, v in values.items()} for values in rows)
    for split in sorted({values["split"] for values in rows}):
        inside = [
            v | {"file_name": v["file_name"].removeprefix(f"{split}/")}
            for v in rows
            if v["split"] == split
        ]
        _write_jsonl(folder / split / JSONL_NAME, inside)


def _write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as jsonl:
        for values in rows:
            jsonl.write(json.dumps(values, ensure_ascii=False) + "\n")
