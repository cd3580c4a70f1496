"""Stage 4 and the last step: near-duplicates among all candidates and placed crops of a model,
then each survivor copied into its set under `final/<model>/`.

Crops placed by an earlier run stay where they are (a person may have reviewed them already); a
new crop that repeats one of them is rejected as its near-duplicate. Otherwise the best crop of a
group is kept: the largest, then the most confident.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from tqdm import tqdm

from filtering import near_dups
from filtering.records import CANDIDATE, PLACED, REJECTED, Record, append_records
from filtering.settings import FilterSettings
from filtering.stages import NEAR
from filtering.store import place

WRITE_EVERY = 64  # records per durable append while placing


def place_candidates(
    known: dict[str, Record], settings: FilterSettings, final: Path, records_path: Path
) -> list[Record]:
    pool = [known[i] for i in sorted(known) if _in_pool(known[i])]
    if not any(r["fate"] == CANDIDATE for r in pool):
        return []
    hashes = near_dups.to_ints([r["phash"] for r in pool])
    pairs = near_dups.close_pairs(hashes, settings.near_duplicate_distance)
    decided: list[Record] = []
    for members in tqdm(near_dups.groups(len(pool), pairs), desc="near-dups", disable=None):
        decided.extend(_decide([pool[i] for i in members], final.relative_to(settings.data)))
    for start in range(0, len(decided), WRITE_EVERY):
        chunk = decided[start : start + WRITE_EVERY]
        for record in chunk:
            _carry_out(record, settings.data)
        append_records(records_path, chunk)
    return decided


def _in_pool(record: Record) -> bool:
    """Candidates, placed crops, and near-duplicates (they may link two others into a group)."""
    fate = record["fate"]
    linking = fate == REJECTED and record["stage"] == NEAR
    return bool(record.get("phash")) and (fate == CANDIDATE or fate in PLACED or linking)


def _decide(group: list[Record], final: Path) -> list[Record]:
    candidates = [r for r in group if r["fate"] == CANDIDATE]
    if not candidates:
        return []
    placed = [r for r in group if r["fate"] in PLACED]
    keeper = best(placed) if placed else best(candidates)
    decided = []
    for record in candidates:
        if record is keeper:
            output = final / record["target"] / f"{record['image_id']}.jpg"
            record.update(fate=record["target"], stage=NEAR, output=output.as_posix())
        else:
            record.update(
                fate=REJECTED,
                stage=NEAR,
                reason="near_duplicate",
                duplicate_of=keeper["image_id"],
                output=None,
            )
        decided.append(record)
    return decided


def best(records: Iterable[Record]) -> Record:
    """The largest crop, then the most confident; the smallest image ID breaks a tie."""
    ordered = sorted(records, key=lambda r: r["image_id"])
    return max(ordered, key=lambda r: (_area(r), _confidence(r)))


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
