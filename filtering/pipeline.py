"""One model's run: the raw images no record covers yet go through the stages (`stage_list`) in
batches, each batch written once every stage has decided; then each stage's `finish` (the
near-duplicates over all candidates, which places the survivors).

Decoding and writing happen in worker threads while the main thread runs inference, so the
models are never waiting on the disk.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from tqdm import tqdm

from filtering.batch import Batch, Models, RunContext, Stage
from filtering.images import BadImage, RawImage
from filtering.listing import NameTaken, list_images, same_name, same_name_warning, skipped_id
from filtering.records import (
    CANDIDATE,
    DUPLICATE,
    RECORDS_NAME,
    TO_LABEL,
    Record,
    append_records,
    read_records,
    relative,
    set_aside_message,
    set_aside_unreadable,
    skipped_lines,
)
from filtering.settings import FilterSettings
from filtering.stage_list import build_stages
from filtering.stages import decode
from filtering.store import save_jpeg
from filtering.waiting import split_waiting, waiting_batches


class ModelFolderError(Exception):
    """The model's raw folder is missing or unusable; the message names it."""


@dataclass
class ModelRun:
    """What one run did: its records (the latest of each image), all records, seconds per step,
    the lines of the records file it could not read (their images are processed again; the
    first warning says where the lines went) and the stages' warnings."""

    done: list[Record]
    records: dict[str, Record]
    seconds: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    bad_lines: int = 0
    warnings: list[str] = field(default_factory=list)
    # Crops that waited in to_label/ for a classifier: counted from the load stage on like the
    # others, though an earlier run loaded and detected them and this one only classified them.
    resorted: int = 0


def run_model(car_model: str, settings: FilterSettings, models: Models) -> ModelRun:
    """Process what is new for `car_model` (a folder under raw/) with the ML `models`."""
    raw = settings.raw(car_model)
    if not raw.is_dir():
        raise ModelFolderError(f"no raw images for model {car_model!r}: {raw} is not a folder")
    records_path = settings.final(car_model) / RECORDS_NAME
    read = read_records(records_path)
    known = read.by_id
    photos = list_images(raw)
    taken = same_name(photos, known, settings.data)
    todo = _todo([p for p in photos if p not in taken], known, models.classify is not None)
    skipped = {p: kept for p, kept in taken.items() if skipped_id(p, settings.data) not in known}
    run = ModelRun([], known, bad_lines=read.bad_lines)
    if read.bad_lines:
        run.warnings += _set_aside(records_path, read.bad_lines)
    if skipped:
        run.warnings.append(same_name_warning(raw, skipped))
    stages = _run_batches(todo, skipped, run, settings, models, records_path)
    for stage in stages:
        with _timed(run.seconds, stage.name):
            run.done += stage.finish(known, records_path)
        run.warnings += stage.warnings()
    latest = {record["image_id"]: record for record in run.done}  # placed after being candidate
    run.done = list(latest.values())
    return run


def _set_aside(records_path: Path, bad_lines: int) -> list[str]:
    """Move the unreadable lines out of the records, so that only this run reports them."""
    try:
        moved = set_aside_unreadable(records_path)
    except OSError as exc:  # e.g. on Windows, another program holding the file open
        return [f"{skipped_lines(records_path, bad_lines)}; they stay there: {exc}"]
    return [set_aside_message(records_path, moved)] if moved else []


@contextmanager
def _timed(seconds: defaultdict[str, float], step: str) -> Iterator[None]:
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
    skipped: dict[Path, Path],
    run: ModelRun,
    settings: FilterSettings,
    models: Models,
    records_path: Path,
) -> list[Stage]:
    clock = partial(_timed, run.seconds)
    with ThreadPoolExecutor(settings.workers) as pool:
        photos, waiting = split_waiting(todo, run.records, settings.data)
        run.resorted = len(waiting)
        # A waiting crop keeps its pixel hash: a new copy of its photo is still its duplicate.
        seen = _pixel_hashes(run.records, {p.stem for p in photos})
        stages = build_stages(RunContext(settings, models, seen, pool))
        bars = _bars(stages, len(todo) + len(skipped))
        batches = _batches(photos, waiting, skipped, settings, pool)
        while True:
            with clock(stages[0].name):  # only the wait for decoding not yet done ahead
                batch = next(batches, None)
            if batch is None:
                break
            size = len(batch.decoded) + len(batch.records)
            for stage, bar in zip(stages, bars, strict=True):
                with clock(stage.name):
                    stage(batch)
                bar.update(size)
            with clock("write"):
                _write_batch(batch, run, settings, pool, records_path)
    for bar in bars:
        bar.close()
    return stages


def _write_batch(
    batch: Batch, run: ModelRun, settings: FilterSettings, pool: Executor, records_path: Path
) -> None:
    """Every stage has decided: the crops still in the batch and those kept for labelling are
    written, then the records."""
    crops = settings.crops(Path(records_path.parent).name)
    jobs = []
    for image_id, image in (batch.crops | batch.labelling).items():
        if image_id in batch.reused:
            continue  # read back from its file: saving it again would only lose quality
        path = crops / f"{image_id}.jpg"
        batch.records[image_id]["crop"] = relative(path, settings.data)
        jobs.append(pool.submit(save_jpeg, image, path, settings.jpeg_quality))
    for job in jobs:
        job.result()
    _carry_over_outputs(batch.records, run.records, settings.data)
    append_records(records_path, batch.records.values())
    run.records.update(batch.records)
    run.done.extend(batch.records.values())


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


def _batches(
    photos: list[Path],
    waiting: list[Record],
    skipped: dict[Path, Path],
    settings: FilterSettings,
    pool: Executor,
) -> Iterator[Batch]:
    """The crops that waited for a classifier first (no detection again), then the photos
    skipped as same_name (for the load stage to record, never decoded), then the photos, with
    those of waiting crops that could not be read."""
    unreadable: list[str] = []
    yield from waiting_batches(waiting, settings, pool, unreadable)
    if skipped:
        yield Batch([(path, NameTaken(path, kept)) for path, kept in sorted(skipped.items())])
    again = photos + [
        settings.data / str(r["source"]) for r in waiting if r["image_id"] in unreadable
    ]
    for decoded in _decoded_batches(again, settings, pool):
        yield Batch(decoded)


def _decoded_batches(
    paths: list[Path], settings: FilterSettings, pool: Executor
) -> Iterator[list[tuple[Path, RawImage | BadImage]]]:
    """Batches of decoded images; the next batch decodes while the caller works on this one."""
    chunks = [paths[i : i + settings.batch] for i in range(0, len(paths), settings.batch)]
    pending: list[Future[tuple[Path, RawImage | BadImage]]] = []
    for index, chunk in enumerate(chunks):
        if index == 0:
            pending = [pool.submit(decode, p, settings) for p in chunk]
        following = chunks[index + 1] if index + 1 < len(chunks) else []
        ahead = [pool.submit(decode, p, settings) for p in following]
        yield [job.result() for job in pending]
        pending = ahead


def _bars(stages: list[Stage], total: int) -> list[tqdm]:
    width = max(len(stage.name) for stage in stages)
    return [
        tqdm(total=total, desc=f"{stage.name:>{width}}", unit="img", position=i, disable=None)
        for i, stage in enumerate(stages)
    ]
