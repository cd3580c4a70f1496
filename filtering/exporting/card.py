"""The dataset card, `README.md` in the export: what it holds, where it comes from, how to load it.

It says only what the files hold: counts from the exported files, the crawl from the manifest
rows, the filtering from the records. What the data does not record is said to be unknown.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from filtering.exporting.loading import loading_section
from filtering.exporting.metadata import COLUMNS
from filtering.exporting.options import CROPS, ExportOptions
from filtering.exporting.source import Gathered

CARD_NAME = "README.md"
TOTAL = "all"


@dataclass(frozen=True)
class CardInput:
    options: ExportOptions
    rows: list[dict[str, Any]]  # the metadata rows, one per exported file
    gathered: Gathered
    splits: Sequence[str]  # the splits written, in order
    command: str
    created_at: str
    not_linked: int  # files copied because a hard link was not possible


def count_table(rows: Iterable[dict[str, Any]], splits: Sequence[str], sets: Sequence[str]) -> str:
    counts = Counter((r["split"], r["set"]) for r in rows)
    lines = [_row(["split", *sets, TOTAL]), _row(["---"] * (len(sets) + 2))]
    for split in [*splits, TOTAL]:
        cells = [
            sum(n for (sp, st), n in counts.items() if st == s and split in (sp, TOTAL))
            for s in sets
        ]
        lines.append(_row([split, *map(str, cells), str(sum(cells))]))
    return "\n".join(lines)


def render(card: CardInput) -> str:
    options, rows = card.options, card.rows
    kind = (
        "car crops (the detector's box with a margin)"
        if options.images == CROPS
        else "whole photos"
    )
    parts = [
        f"# {options.model}: car images from AutoScout24\n",
        f"{len(rows):,} {kind} {of_listings(rows)}, from the sets "
        f"{', '.join(options.sets)}, exported {card.created_at} with\n\n    {card.command}\n",
        "## Contents\n",
        "Images per split and set (folders `<split>/<set>/`):\n",
        count_table(rows, card.splits, options.sets) + "\n",
        *_gaps(card),
        "## Splits\n",
        _splits_text(options, rows),
        "## Crawl\n",
        *_crawl(rows),
        "## Filtering and review\n",
        *_filtering(rows, card.gathered),
        "## Metadata\n",
        _columns_text(),
        loading_section(options),
        RESPONSIBLE_USE,
    ]
    return "\n".join(parts)


def _columns_text() -> str:
    columns = ", ".join(f"`{c}`" for c in COLUMNS)
    return (
        "`metadata.jsonl` and `metadata.csv` hold the same rows, one per image, with the columns "
        f"{columns}. Unknown values are null (JSONL) or empty (CSV). Each split folder's own "
        "`metadata.jsonl` holds its rows, `file_name` relative to it (for `datasets`).\n"
    )


def _gaps(card: CardInput) -> list[str]:
    lines = [f"- {images(n)}: {what}" for what, n in sorted(card.gathered.counts.items())]
    lines += [
        f"- {images(n)} not exported: {why}" for why, n in sorted(card.gathered.skipped.items())
    ]
    lines += [
        f"- {plural(n, 'unreadable line')} in {name}, skipped"
        for name, n in sorted(card.gathered.bad_lines.items())
        if n
    ]
    if card.not_linked:
        lines.append(f"- {card.not_linked:,} files copied: a hard link was not possible")
    return (
        ["Gaps and notes:\n", "\n".join(lines) + "\n"]
        if lines
        else ["No gaps: every image has its listing and its record.\n"]
    )


def _splits_text(options: ExportOptions, rows: list[dict[str, Any]]) -> str:
    shares = ", ".join(f"{name} {share:.0%}" for name, share in options.fractions.items())
    alone = sum(1 for r in rows if not r["listing_id"])
    text = (
        f"Listings were split {shares} (shares of listings, not of images), seed {options.seed}, "
        "each set on its own. All photos of one listing are in one split: no car is in two."
    )
    if alone:
        text += f" {images(alone)} without a listing: each is a group of its own."
    return text + "\n"


def _crawl(rows: list[dict[str, Any]]) -> list[str]:
    stored = sorted(r["stored_at"] for r in rows if r["stored_at"])
    sites = Counter(r["country_site"] for r in rows if r["country_site"])
    cars = Counter(f"{r['make']} {r['model']}" for r in rows if r["make"])
    when = (
        f"from {stored[0]} to {stored[-1]}" if stored else "at an unknown time (no manifest rows)"
    )
    where = ", ".join(f"{site} ({n:,} images)" for site, n in sites.most_common()) or "unknown"
    what = ", ".join(f"{car} ({n:,})" for car, n in cars.most_common()) or "unknown"
    return [
        f"- Photos stored {when}.",
        f"- Country sites: {where}.",
        f"- Make and model as listed: {what}.\n",
    ]


def _filtering(rows: list[dict[str, Any]], gathered: Gathered) -> list[str]:
    done = sorted(
        str(i.record["processed_at"])
        for i in gathered.items
        if i.record and i.record.get("processed_at")
    )
    when = f"from {done[0]} to {done[-1]}" if done else "at an unknown time"
    stages = Counter(r["filter_stage"] for r in rows if r["filter_stage"])
    detector = Counter(r["detector_class"] for r in rows if r["detector_class"])
    labels = Counter(r["classifier_label"] for r in rows if r["classifier_label"])
    decided = Counter(r["review_decision"] or "not decided" for r in rows)
    return [
        f"- Filtered {when}; last stage per image: {_counts(stages)}.",
        f"- Detector classes: {_counts(detector)}; classifier labels: {_counts(labels)}.",
        f"- Review decisions: {_counts(decided)}.",
        "- Filtering settings and weight files: unknown. The records (`records.jsonl`) do not "
        "hold them, nor which detector and classifier files were used; per image they hold the "
        "box, the scores and the reason, which are in the metadata. The model's filtering report "
        "(`report.html` in the data folder, not part of this export) names the settings behind "
        "each rejection reason, as they were at its last run.\n",
    ]


def images(count: int) -> str:
    return plural(count, "image")


def of_listings(rows: list[dict[str, Any]]) -> str:
    """The words "of 12 listings", saying so where no image has a listing (photos without the
    crawl's manifest): "of 0 listings" would read as an empty export."""
    listings = {r["listing_id"] for r in rows if r["listing_id"]}
    if rows and not listings:
        return "of no known listing (no crawl manifest names them)"
    return f"of {plural(len(listings), 'listing')}"


def plural(count: int, word: str) -> str:
    return f"{count:,} {word}" + ("" if count == 1 else "s")


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{name} {n:,}" for name, n in counter.most_common()) or "none"


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


RESPONSIBLE_USE = """## Responsible use

The photos come from AutoScout24 listings. They belong to the sellers or their photographers and
are protected by copyright; they may show number plates, faces and houses. Use this dataset for
your own research or model training, where the law allows it (for example a text-and-data-mining
exception that applies to you) or with the site's consent. Do not republish the photos. Blur or
drop plates and people where you share results, and delete what you no longer need. Each row's
`listing_url` and `image_url` name where a photo came from.
"""
