"""What applying the log's decisions does with each decided image: move its file, leave it, or
say why it cannot.

The rule: a decision is applied only to the file it saw, where it saw it. The file must be in the
set the decision was made in (or where the last apply put it) and, where the log holds its stamp,
be the same file (the same size and modification time). Otherwise the decision is not applied and
is reported: `gone` when the file is in none of the sets, `stale` when it is in another set (moved
by another program, or decided while it was gone and put back since) or is another file under the
same name. A decision not applied stays in the log; deciding the image again replaces it, undoing
it drops it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from review_tool.moves import GONE, STALE, Move, NotApplied
from review_tool.stamps import Sighting, stamp_of


@dataclass(frozen=True)
class Found:
    """An image's file as a scan found it: its set (None: in none of them), name and path."""

    set_name: str | None
    name: str
    path: Path | None


@dataclass
class Plan:
    moves: list[Move] = field(default_factory=list)
    not_applied: list[NotApplied] = field(default_factory=list)


def judge(
    image_id: str, wanted: str | None, seen: Sighting | None, found: Found
) -> Move | NotApplied | None:
    """The move that applies the image's decision, why it cannot be applied, or None when there
    is nothing to do (no decision, the file is in its decided set, or an apply put it there)."""
    if wanted is None or seen is None or wanted in (found.set_name, seen.set_name):
        return None

    def refuse(why: str, reason: str) -> NotApplied:
        return NotApplied(image_id, found.name, wanted, why, reason)

    if found.set_name is None or found.path is None:
        if seen.set_name is None:
            return refuse(GONE, "decided while the file was gone from the folder, and it still is")
        return refuse(GONE, f"the file is gone from {seen.set_name}/")
    if seen.set_name != found.set_name:
        if seen.set_name is None:
            decided = "decided while the file was gone from the folder"
        else:
            decided = f"decided when the file was in {seen.set_name}/"
        return refuse(STALE, f"{decided}; it is in {found.set_name}/ now: decide it again")
    stamp = stamp_of(found.path)
    if stamp is None:
        return refuse(GONE, f"the file is gone from {found.set_name}/")
    if seen.stamp is not None and stamp != seen.stamp:
        return refuse(
            STALE,
            f"{found.set_name}/{found.name} is not the file decided (its size or modification "
            "time changed since): decide it again",
        )
    return Move(image_id, found.name, found.set_name, wanted, stamp)


def plan(judged: list[Move | NotApplied | None]) -> Plan:
    result = Plan()
    for outcome in judged:
        if isinstance(outcome, Move):
            result.moves.append(outcome)
        elif isinstance(outcome, NotApplied):
            result.not_applied.append(outcome)
    return result
