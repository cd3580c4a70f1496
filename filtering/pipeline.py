"""One model's run: the raw images no record covers yet go through stages 1 to 3 in batches,
then the near-duplicate stage decides over all candidates and places the survivors.

Decoding and writing happen in worker threads while the main thread runs inference, so the
models are never waiting on the disk.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from tqdm import tqdm

from filtering import stages
from filtering.images import list_images
from filtering.placement import place_candidates
from filtering.records import (
    CANDIDATE,
    DUPLICATE,
    RECORDS_NAME,
    TO_LABEL,
    Record,
    append_records,
    read_records,
)
from filtering.settings import FilterSettings


class ModelFolderError(Exception):
    """The model's raw folder is missing or unusable; the message names it."""


@dataclass
class ModelRun:
    """What one run did: its records (the latest of each image), all records, seconds per step,
    and the lines of the records file it could not read (their images are processed again)."""

    done: list[Record]
    records: dict[str, Record]
    seconds: Counter[str] = field(default_factory=Counter)
    bad_lines: int = 0


def run_model(model: str, settings: FilterSettings, models: stages.Models) -> ModelRun:
    """Process what is new for `model`."""
    raw = settings.raw(model)
    if not raw.is_dir():
        raise ModelFolderError(f"no raw images for model {model!r}: {raw} is not a folder")
    records_path = settings.final(model) / RECORDS_NAME
    read = read_records(records_path)
    known = read.by_id
    todo = _todo(list_images(raw), known, models.classify is not None)
    run = ModelRun([], known, bad_lines=read.bad_lines)
    _run_batches(todo, run, settings, models, records_path, settings.crops(model))
    with _timed(run.seconds, stages.NEAR):
        run.done += place_candidates(known, settings, settings.final(model), records_path)
    latest = {record["image_id"]: record for record in run.done}  # placed after being candidate
    run.done = list(latest.values())
    return run


@contextmanager
def _timed(seconds: Counter[str], step: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        seconds[step] += time.perf_counter() - start


def _todo(paths: Sequence[Path], known: dict[str, Record], classifying: bool) -> list[Path]:
    """Images without a record; with a classifier, also those that were waiting for one."""
    return [
        path
        for path in paths
        if path.stem not in known or (classifying and known[path.stem]["fate"] == TO_LABEL)
    ]


def _run_batches(
    todo: list[Path],
    run: ModelRun,
    settings: FilterSettings,
    models: stages.Models,
    records_path: Path,
    crops: Path,
) -> None:
    seen = _pixel_hashes(run.records, {p.stem for p in todo})
    bars = _bars(len(todo))
    clock = partial(_timed, run.seconds)
    with ThreadPoolExecutor(settings.workers) as pool:
        batches = _decoded_batches(todo, settings, pool)
        while True:
            with clock(stages.LOAD):  # only the wait for decoding not yet done ahead
                decoded = next(batches, None)
            if decoded is None:
                break
            batch = stages.start_batch(decoded, settings.data)
            bars["decode"].update(len(decoded))
            with clock(stages.EXACT):
                stages.drop_exact_duplicates(batch, seen)
            with clock(stages.DETECT):
                stages.detect_and_crop(batch, models.detect, settings)
            bars["detect"].update(len(decoded))
            stored = stages.store_crops(batch, crops, pool, settings)
            with clock(stages.CLASSIFY):
                stages.classify(batch, models.classify, settings)
            bars["classify"].update(len(decoded))
            with clock("write"):
                for wait in stored:
                    wait()
                _carry_over_outputs(batch.records, run.records, settings.data)
                append_records(records_path, batch.records.values())
            run.records.update(batch.records)
            run.done.extend(batch.records.values())
    for bar in bars.values():
        bar.close()


def _carry_over_outputs(records: dict[str, Record], known: dict[str, Record], data: Path) -> None:
    """A crop redone after waiting in to_label: its copy there moves to its new set (placement)
    or goes, if it is now rejected (the crop itself stays in crops/)."""
    for image_id, record in records.items():
        previous = known.get(image_id, {}).get("output")
        if not previous:
            continue
        if record["fate"] == CANDIDATE:
            record["previous_output"] = previous
        else:
            (data / previous).unlink(missing_ok=True)


def _pixel_hashes(known: dict[str, Record], redo: set[str]) -> dict[str, str]:
    """Pixel hash -> the image kept for it, from earlier runs (images redone now excluded)."""
    seen: dict[str, str] = {}
    for image_id, record in sorted(known.items()):
        sha = record.get("pixel_sha256")
        if sha and record["fate"] != DUPLICATE and image_id not in redo:
            seen.setdefault(sha, image_id)
    return seen


def _decoded_batches(
    paths: list[Path], settings: FilterSettings, pool: Executor
) -> Iterator[list[tuple[Path, object]]]:
    """Batches of decoded images; the next batch decodes while the caller works on this one."""
    chunks = [paths[i : i + settings.batch] for i in range(0, len(paths), settings.batch)]
    pending: list[Future] = []
    for index, chunk in enumerate(chunks):
        if index == 0:
            pending = [pool.submit(stages.decode, p, settings) for p in chunk]
        following = chunks[index + 1] if index + 1 < len(chunks) else []
        ahead = [pool.submit(stages.decode, p, settings) for p in following]
        yield [job.result() for job in pending]
        pending = ahead


def _bars(total: int) -> dict[str, tqdm]:
    names = ("decode", "detect", "classify")
    return {
        name: tqdm(total=total, desc=f"{name:>10}", unit="img", position=i, disable=None)
        for i, name in enumerate(names)
    }
