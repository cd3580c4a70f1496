"""`python filtering/run.py`: turn each model's raw photos into `clean` and `questionable` sets.

Reads `<data>/raw/<model>/`, writes crops to `<data>/crops/<model>/` and the sets, records and an
HTML report to `<data>/final/<model>/`. Only images no earlier run has recorded are processed.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    # Run as a script: Python put filtering/ on sys.path, the imports need the repository root.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from filtering.arguments import INTERRUPTED, BriefParser
from filtering.batch import Models
from filtering.device import DeviceError, check_device
from filtering.listing import empty_note, ignored_note, list_images, read_folder
from filtering.locks import ModelBusyError, ModelLockError, hold_model_folder
from filtering.models import load_models, model_names
from filtering.next_steps import next_steps
from filtering.pipeline import ModelFolderError, run_model
from filtering.records import RECORDS_NAME
from filtering.report import REPORT_NAME, write_report
from filtering.settings import DEFAULT_SHOWN, FilterSettings, declared, option
from filtering.summary import format_table, outcome_counts, stage_counts
from filtering.weights import WeightsError

DEFAULTS = FilterSettings()
BUSY_HINT = "nothing was done; wait for that run to end (or stop it), then start this one again"


def parse_args(argv: list[str] | None = None) -> tuple[FilterSettings, list[str] | None]:
    p = BriefParser(prog="filtering/run.py", description=__doc__.splitlines()[0])
    p.add_argument("--model", action="append", help="a model folder under raw/ (repeatable)")
    for setting in declared():
        p.add_argument(option(setting.name), **_argument(setting))
    args = p.parse_args(argv)
    values = {k: v for k, v in vars(args).items() if k != "model"}
    return FilterSettings(**values), args.model


def _argument(setting: dataclasses.Field[Any]) -> dict[str, Any]:
    """argparse's type, default and help for a declared setting."""
    default, meta = setting.default, setting.metadata
    shown = DEFAULT_SHOWN.get(setting.name, default)
    kind = meta["kind"]
    parse = _number(kind, meta["low"], meta["high"], meta["multiple_of"]) if "low" in meta else kind
    argument = {"type": parse, "default": default, "help": f"{meta['help']} (default {shown})"}
    if meta.get("choices"):
        argument["choices"] = meta["choices"]
    return argument


def _number(
    kind: type[int] | type[float], low: float, high: float, multiple_of: int = 1
) -> Callable[[str], float]:
    """An argparse type: a number of `kind` from `low` to `high` (and a multiple of
    `multiple_of`), or a message naming the range."""

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            name = "an integer" if kind is int else "a number"
            upper = "" if high == math.inf else f" and <= {high:g}"
            raise argparse.ArgumentTypeError(f"must be {name} >= {low:g}{upper}, got {text!r}")
        if multiple_of > 1 and value % multiple_of:
            below = max(int(low), int(value) // multiple_of * multiple_of)
            raise argparse.ArgumentTypeError(
                f"must be a multiple of {multiple_of}, got {text!r} "
                f"(the nearest: {below} or {below + multiple_of})"
            )
        return value

    return parse


def main(argv: list[str] | None = None) -> int:
    settings, chosen = parse_args(argv)
    with ExitStack() as held:
        try:
            names, empty, models = _start(settings, chosen, held)
        except ModelBusyError as exc:
            print(f"error: {exc}: {BUSY_HINT}", file=sys.stderr)
            return 2
        except (WeightsError, ModelFolderError, DeviceError, ModelLockError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        return _run_all(names, empty, settings, models)


def _start(
    settings: FilterSettings, chosen: list[str] | None, held: ExitStack
) -> tuple[list[str], set[str], Models]:
    """The models to filter and those of them without images, the ML models loaded, and the
    lock of each model folder with images held in `held` (a model busy raises ModelBusyError)."""
    names = model_names(settings, chosen)  # a bad folder is named before any notice
    empty = {name for name in names if not list_images(settings.raw(name))}
    folders = [settings.final(name) for name in names if name not in empty]
    # Another run on a model filtered before stops this one at once. The folder of a model
    # never filtered is made once the models have loaded: bad weights leave none behind.
    filtered_before = [folder for folder in folders if folder.is_dir()]
    for folder in filtered_before:
        held.enter_context(hold_model_folder(folder))
    check_device(settings.device)
    models = load_models(settings)
    for folder in folders:
        if folder not in filtered_before:
            held.enter_context(hold_model_folder(folder))
    return names, empty, models


def _run_all(names: list[str], empty: set[str], settings: FilterSettings, models: Models) -> int:
    failed = 0
    for name in names:
        try:
            failed += not _run_one(name, name in empty, settings, models)
        except KeyboardInterrupt:
            print(
                f"\nstopped while filtering {name}: every photo decided so far is recorded; run "
                "the same command again to go on from there",
                file=sys.stderr,
            )
            return INTERRUPTED
    return 1 if failed else 0


def _run_one(name: str, empty: bool, settings: FilterSettings, models: Models) -> bool:
    print(f"== {name}")
    found = read_folder(settings.raw(name))
    if empty or not found.photos:
        print(empty_note(found))
        return True
    ignored = ignored_note(found)
    if ignored:
        print(ignored)
    try:
        run = run_model(name, settings, models)
    except ModelFolderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return False
    report = settings.final(name) / REPORT_NAME
    for line in run.warnings:
        print(f"warning: {line}", file=sys.stderr)
    if run.done:
        print(format_table(stage_counts(run.done)))
        if run.resorted:
            print(_resorted_note(run.resorted, len(run.done)))
        print("seconds: " + ", ".join(f"{step} {s:.1f}" for step, s in run.seconds.items()))
    else:
        print("nothing new to process" + _thresholds_note(settings))
    if run.done or _stale(report, settings.final(name) / RECORDS_NAME):
        write_report(name, run.records, settings)
    records = run.records
    counts = sorted(outcome_counts(records.values()).items())
    totals = ", ".join(f"{fate} {n:,}" for fate, n in counts) or "none kept"
    print(f"all images of {name}: {len(records):,} recorded; {totals}; report: {report}")
    for line in next_steps(name, settings, records):
        print(line)
    return True


def _thresholds_note(settings: FilterSettings) -> str:
    """Thresholds given to a run with nothing new decide nothing: say so, and what does."""
    if settings.front_conf is None and settings.other_conf is None:
        return ""
    return (
        ": --front-conf and --other-conf apply to photos not decided yet (and crops waiting in "
        "to_label/); to sort a model again with other thresholds, filter into a new --data "
        "folder whose raw/<model> links to the same photos (README: Sorting again)"
    )


def _stale(report: Path, records: Path) -> bool:
    """No report yet, or records written since (the review tool appends the moves it applies)."""
    if not report.exists():
        return True
    return records.exists() and records.stat().st_mtime_ns > report.stat().st_mtime_ns


def _resorted_note(resorted: int, done: int) -> str:
    """The stage table counts every image from load on; the crops that waited for a classifier
    only passed its stage and those after it."""
    note = (
        f"{resorted:,} of them waited in to_label/ for a classifier: an earlier run loaded and "
        "detected them, this one classified them"
    )
    if done > resorted:
        more = done - resorted
        note += f"; {more:,} more, new or left unfinished by a stopped run, started from load"
    return note


if __name__ == "__main__":
    sys.exit(main())
