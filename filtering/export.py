"""`python filtering/export.py --model NAME --out DIR`: a model's reviewed sets as a dataset.

Writes `<out>/<split>/<set>/<image_id>.jpg` (the layout torchvision's ImageFolder and Ultralytics'
classification trainer read), `metadata.jsonl` and `metadata.csv` joining each image with its
listing and its filtering record, `export.json` and a dataset card (`README.md`). Nothing under
the data folder is changed.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

if __package__ in (None, ""):
    # Run as a script: Python put filtering/ on sys.path, the imports need the repository root.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from filtering.arguments import BriefParser
from filtering.exporting.build import Exported, run_export
from filtering.exporting.card import images, of_listings
from filtering.exporting.options import CROPS, EXPORTABLE_SETS, PHOTOS, ExportError, ExportOptions

DEFAULTS = ExportOptions(model="", out=Path())


def _sets(text: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
    bad = [n for n in names if n not in EXPORTABLE_SETS]
    if bad or not names:
        known = ", ".join(EXPORTABLE_SETS)
        raise argparse.ArgumentTypeError(
            f"unknown or not exportable set(s) {bad}: choose from {known}"
        )
    return names


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be a number >= 0 and < 1, got {text!r}")
    return value


def parse_args(argv: list[str] | None) -> ExportOptions:
    p = BriefParser(prog="filtering/export.py", description=__doc__.splitlines()[0])
    p.add_argument("--model", required=True, help="a model folder under <data>/final/")
    p.add_argument("--out", type=Path, required=True, help="the export folder (new or empty)")
    p.add_argument(
        "--data",
        type=Path,
        default=DEFAULTS.data,
        help=f"holds raw/ and final/ (default {DEFAULTS.data})",
    )
    p.add_argument(
        "--sets",
        type=_sets,
        default=DEFAULTS.sets,
        help="sets to export, comma-separated: clean, questionable (default clean)",
    )
    p.add_argument(
        "--images",
        choices=(CROPS, PHOTOS),
        default=DEFAULTS.images,
        help=f"the crops or the whole raw photos (default {DEFAULTS.images})",
    )
    p.add_argument(
        "--link", action="store_true", help="hard links instead of copies (default: copies)"
    )
    p.add_argument(
        "--val-fraction",
        type=_fraction,
        default=DEFAULTS.val_fraction,
        help=f"share of listings in val/ (default {DEFAULTS.val_fraction})",
    )
    p.add_argument(
        "--test-fraction",
        type=_fraction,
        default=DEFAULTS.test_fraction,
        help=f"share of listings in test/ (default {DEFAULTS.test_fraction})",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=DEFAULTS.seed,
        help=f"seed of the split (default {DEFAULTS.seed})",
    )
    p.add_argument(
        "--replace", action="store_true", help="replace an earlier export in --out, whole"
    )
    args = p.parse_args(argv)
    if args.val_fraction + args.test_fraction >= 1:
        p.error("--val-fraction and --test-fraction must leave a share for train (sum < 1)")
    if args.val_fraction == 0 and args.test_fraction == 0:
        p.error("--val-fraction and --test-fraction cannot both be 0: training needs val/ or test/")
    return ExportOptions(**vars(args))


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    command = shlex.join(
        ["python", "filtering/export.py", *(sys.argv[1:] if argv is None else argv)]
    )
    try:
        exported = run_export(options, command)
    except ExportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    _print_summary(options, exported)
    return 0


def _print_summary(options: ExportOptions, exported: Exported) -> None:
    rows = exported.rows
    print(f"exported {images(len(rows))} {of_listings(rows)} to {options.out}")
    for what, n in sorted(exported.gathered.counts.items()):
        print(f"  {images(n)}: {what}")
    for why, n in sorted(exported.gathered.skipped.items()):
        print(f"  {images(n)} not exported: {why}")
    if exported.not_linked:
        print(f"  {exported.not_linked:,} files copied: a hard link was not possible")
    print(f"dataset card: {options.out / 'README.md'}")


if __name__ == "__main__":
    sys.exit(main())
