"""Applying review decisions: moving files between the sets, never overwriting, never deleting.

A move is a hard link at the target followed by removing the source name, so it can neither
replace an existing file (linking onto an existing name fails) nor lose one (the file has two names
until the second step). Where the file system has no hard links, a checked rename is used.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from review_tool.stamps import FileStamp

# Why a decision was not applied.
GONE = "gone"  # its file is in none of the sets
STALE = "stale"  # its file is not where the decision saw it, or not the file it saw


@dataclass(frozen=True)
class Move:
    image_id: str
    name: str  # file name, the same in both sets
    source: str
    target: str
    stamp: FileStamp | None = None  # the file moved, for the log


@dataclass(frozen=True)
class NotApplied:
    """A decision that applying left alone, and why, in words that name the file."""

    image_id: str
    name: str
    target: str
    why: str  # GONE or STALE
    reason: str

    def line(self) -> str:
        return f"not applied: {self.name} -> {self.target}/: {self.reason}"


@dataclass
class ApplyReport:
    moved: list[Move] = field(default_factory=list)
    conflicts: list[Move] = field(default_factory=list)  # the target name already existed
    not_applied: list[NotApplied] = field(default_factory=list)  # file gone, or stale
    errors: list[tuple[Move, str]] = field(default_factory=list)

    def count(self, why: str) -> int:
        return sum(1 for n in self.not_applied if n.why == why)

    def summary(self) -> str:
        parts = [f"moved {len(self.moved):,}"]
        if self.conflicts:
            parts.append(f"{len(self.conflicts):,} not moved because the target already exists")
        if gone := self.count(GONE):
            parts.append(f"{gone:,} not applied: file gone")
        if stale := self.count(STALE):
            parts.append(f"{stale:,} not applied: stale (the file is not the one decided)")
        if self.errors:
            parts.append(f"{len(self.errors):,} failed")
        return "applied: " + ", ".join(parts)

    def details(self) -> list[str]:
        """One line per decision that was not applied, naming the file and the reason."""
        lines = [
            f"kept both: {m.source}/{m.name} not moved, {m.target}/{m.name} already exists"
            for m in self.conflicts
        ]
        lines += [n.line() for n in self.not_applied]
        lines += [f"failed: {m.source}/{m.name} -> {m.target}/: {err}" for m, err in self.errors]
        return lines


class TargetExists(Exception):
    pass


def move_no_overwrite(src: Path, dst: Path) -> None:
    """Move src to dst; raise TargetExists if dst exists, FileNotFoundError if src is gone."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except FileExistsError as exc:
        raise TargetExists(str(dst)) from exc
    except FileNotFoundError:
        raise
    except OSError:
        # No hard links here (some network or FAT file systems): check, then rename.
        if dst.exists():
            raise TargetExists(str(dst)) from None
        os.rename(src, dst)
        return
    os.unlink(src)


def apply_moves(folder: Path, moves: list[Move]) -> ApplyReport:
    report = ApplyReport()
    for move in moves:
        src = folder / move.source / move.name
        dst = folder / move.target / move.name
        try:
            move_no_overwrite(src, dst)
        except TargetExists:
            report.conflicts.append(move)
        except FileNotFoundError:  # gone since the plan looked
            reason = f"the file is gone from {move.source}/"
            report.not_applied.append(
                NotApplied(move.image_id, move.name, move.target, GONE, reason)
            )
        except OSError as exc:
            report.errors.append((move, exc.strerror or str(exc)))
        else:
            report.moved.append(move)
    return report
