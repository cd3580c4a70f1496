"""Stage 4 and the last step: near-duplicates among all candidates and placed crops of a model,
then each survivor copied into its set under `final/<model>/`.

Crops placed by an earlier run stay where they are (a person may have reviewed them already); a
new crop that repeats one of them is rejected as its near-duplicate. Otherwise the best crop of a
group is kept: the one with the fewest doubts, then the largest, then the most confident.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar

from PIL import Image
from tqdm import tqdm

from filtering.batch import Batch, BatchStage, Reasons, RunContext
from filtering.encoders import Encoder, encoder_for
from filtering.records import CANDIDATE, PLACED, REJECTED, Record, append_records
from filtering.store import place

WRITE_EVERY = 64  # records per durable append while placing


class NearDuplicates(BatchStage):
    """Each batch: the encoder's code of every crop still in the batch (in the worker threads).
    After the last batch: groups of the same picture, the best of each kept and placed."""

    name = "near_duplicates"
    reasons: ClassVar[Reasons] = {"near_duplicate": ("near_duplicate_distance",)}
    fields: ClassVar[tuple[str, ...]] = ("duplicate_of", "output")

    def __init__(self, run: RunContext) -> None:
        self.encoder: Encoder = encoder_for(run.settings)
        self.settings = run.settings
        self.pool = run.pool
        self.not_compared: list[str] = []  # placed crops whose file is gone: nothing to encode

    def __call__(self, batch: Batch) -> None:
        ids = list(batch.crops)
        codes = self.pool.map(self.encoder.encode, [batch.crops[i] for i in ids])
        for image_id, code in zip(ids, codes, strict=True):
            batch.records[image_id][self.encoder.name] = code

    def finish(self, records: dict[str, Record], records_path: Path) -> list[Record]:
        pool = [records[i] for i in sorted(records) if _in_pool(records[i], self.name)]
        if not any(r["fate"] == CANDIDATE for r in pool):
            return []
        pool, encoded = self._with_codes(pool)
        same_picture = self.encoder.groups([r[self.encoder.name] for r in pool])
        final = records_path.parent.relative_to(self.settings.data)
        decided: list[Record] = []
        for members in tqdm(same_picture, desc="near-dups", disable=None):
            decided.extend(_decide([pool[i] for i in members], final, self.name))
        for start in range(0, len(decided), WRITE_EVERY):
            chunk = decided[start : start + WRITE_EVERY]
            for record in chunk:
                _carry_out(record, self.settings.data)
            append_records(records_path, chunk)
        append_records(records_path, [r for r in encoded if r["fate"] != CANDIDATE])
        return decided

    def warnings(self) -> list[str]:
        if not self.not_compared:
            return []
        shown = ", ".join(self.not_compared[:5]) + (", ..." if len(self.not_compared) > 5 else "")
        return [
            f"{len(self.not_compared):,} placed image(s) not compared for near-duplicates: "
            f"their record has no {self.encoder.name} and their crop file is gone ({shown}); "
            "they stay where they are"
        ]

    def _with_codes(self, pool: list[Record]) -> tuple[list[Record], list[Record]]:
        """The records that have this encoder's code, once those without one (made by another
        encoder, or before any) are encoded again from their crop; and those encoded now."""
        kept, encoded = [], []
        for record in pool:
            if not record.get(self.encoder.name):
                crop = self.settings.data / str(record.get("crop"))
                if not record.get("crop") or not crop.is_file():
                    self.not_compared.append(record["image_id"])
                    continue
                with Image.open(crop) as image:
                    record[self.encoder.name] = self.encoder.encode(image.convert("RGB"))
                encoded.append(record)
            kept.append(record)
        return kept, encoded


def _in_pool(record: Record, stage: str) -> bool:
    """Candidates, placed crops, and near-duplicates (they may link two others into a group)."""
    fate = record["fate"]
    linking = fate == REJECTED and record["stage"] == stage
    return fate == CANDIDATE or fate in PLACED or linking


def _decide(group: list[Record], final: Path, stage: str) -> list[Record]:
    candidates = [r for r in group if r["fate"] == CANDIDATE]
    if not candidates:
        return []
    placed = [r for r in group if r["fate"] in PLACED]
    keeper = best(placed) if placed else best(candidates)
    decided = []
    for record in candidates:
        if record is keeper:
            output = final / record["target"] / f"{record['image_id']}.jpg"
            record.update(fate=record["target"], stage=stage, output=output.as_posix())
        else:
            record.update(
                fate=REJECTED,
                stage=stage,
                reason="near_duplicate",
                duplicate_of=keeper["image_id"],
                output=None,
            )
        decided.append(record)
    return decided


def best(records: Iterable[Record]) -> Record:
    """The crop with the fewest doubts, then the largest, then the most confident; the smallest
    image ID breaks a tie. Doubts come first: a washed-out or blurred copy of a picture is often
    re-encoded a few pixels larger than the original, and size must not make it the one kept."""
    ordered = sorted(records, key=lambda r: r["image_id"])
    return max(ordered, key=lambda r: (-len(r.get("doubts") or ()), _area(r), _confidence(r)))


def _area(record: Record) -> int:
    width, height = record.get("crop_size") or (0, 0)
    return width * height


def _confidence(record: Record) -> float:
    conf = record.get("classifier_conf")
    return float(conf if conf is not None else record.get("detector_conf") or 0.0)


def _carry_out(record: Record, data: Path) -> None:
    previous = record.pop("previous_output", None)
    previous_path = data / previous if previous else None
    if record["output"]:
        place(data / record["crop"], data / record["output"], previous_path)
    elif previous_path is not None and previous_path.exists():
        # A crop that waited in to_label and is now rejected: the copy goes, the crop stays.
        previous_path.unlink()
