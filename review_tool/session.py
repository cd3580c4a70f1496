"""A review session: the folder's images in order, the position, decisions, undo, apply, rescan.

Everything the window does goes through here, so all of it runs (and is tested) without a display.
"""

from __future__ import annotations

import shlex
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from filtering.classes import CLASSIFIER_CLASSES
from filtering.next_steps import script_path
from filtering.records import RECORDS_NAME, skipped_lines
from review_tool import folder as fs
from review_tool.decisions import LABEL, REVIEW, REVIEW_TARGETS, Decisions, Entry, Group
from review_tool.labels import labels_on_disk, sync_label
from review_tool.log import LOG_NAME, DecisionLog, read_events
from review_tool.moves import ApplyReport, Move, apply_moves


@dataclass(frozen=True)
class SessionConfig:
    folder: Path
    mode: str = REVIEW  # REVIEW or LABEL
    sets: tuple[str, ...] = ("clean", "questionable", "rejected")
    labels_dir: Path | None = None  # label mode: where class folders of copies go


@dataclass
class Changes:
    """What a rescan found changed on disk since the last look."""

    new: list[str] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)

    def message(self) -> str:
        parts = []
        if self.new:
            parts.append(f"{len(self.new):,} new image(s) appeared (added at the end)")
        if self.gone:
            parts.append(f"{len(self.gone):,} image(s) gone from the folder")
        if self.moved:
            parts.append(f"{len(self.moved):,} image(s) moved by another program")
        return "folder changed: " + "; ".join(parts) if parts else ""


class ReviewSession:
    def __init__(self, config: SessionConfig) -> None:
        fs.check_folder(config.folder, config.sets)
        self.config = config
        self.folder = config.folder
        self.kind = LABEL if config.mode == LABEL else REVIEW
        self.log = DecisionLog(config.folder / LOG_NAME)
        read = read_events(self.log.path)
        self.decisions = Decisions.replay(self.kind, read.events)
        self.records = fs.read_folder_records(config.folder)
        self.warnings: list[str] = self._startup_warnings(read.bad_lines)
        self._scan = fs.scan(config.folder, config.sets, self.records)
        self.warnings += fs.duplicate_warnings(self._scan)
        self.warnings += self._follow_stray_files()
        self.order: list[str] = sorted(self._scan.locations, key=self._sort_key)
        self._index = {image_id: i for i, image_id in enumerate(self.order)}
        self._labelled_before = self._labels_before()
        self.position = self.resume_index()

    def _labels_before(self) -> dict[str, str]:
        """Label mode: the labels already on disk of images this session's log never decided."""
        if self.kind != LABEL or self.config.labels_dir is None:
            return {}
        undecided = [i for i in self.order if self.decisions.decision(i) is None]
        return labels_on_disk(self.config.labels_dir, undecided)

    def _startup_warnings(self, bad_log_lines: list[int]) -> list[str]:
        out = []
        if bad_log_lines:
            out.append(f"{LOG_NAME}: skipped {len(bad_log_lines)} unreadable line(s)")
        if self.records.missing:
            out.append(f"no {RECORDS_NAME} in {self.folder}: scores are not shown")
        elif self.records.bad_lines:
            out.append(skipped_lines(self.folder / RECORDS_NAME, self.records.bad_lines))
        return out

    def _follow_stray_files(self) -> list[str]:
        """Bring the records up to where the files are, and say how many that took."""
        strays = fs.stray_records(self.records, self._scan)
        if not strays or self.records.missing:
            return []
        fs.record_moves(self.folder, self.records, strays)
        return [
            f"{RECORDS_NAME}: {len(strays):,} record(s) updated to the set their file is in "
            "(files moved without their records, e.g. an apply that was interrupted)"
        ]

    def _sort_key(self, image_id: str) -> tuple[int, str]:
        # Sort by the set an image started in, so applying moves does not reshuffle the list.
        start = self.decisions.home(image_id) or self._scan.locations.get(image_id, "")
        sets = self.config.sets
        return (sets.index(start) if start in sets else len(sets), image_id)

    # ---- what is where
    def __len__(self) -> int:
        return len(self.order)

    @property
    def current(self) -> str | None:
        return self.order[self.position] if self.order else None

    def location(self, image_id: str) -> str | None:
        """The set the image's file is in now, None when it is gone."""
        return self._scan.locations.get(image_id)

    def path(self, image_id: str) -> Path | None:
        where = self.location(image_id)
        if where is None:
            return None
        return fs.set_folder(self.folder, where) / self._scan.files[image_id]

    def record(self, image_id: str) -> dict[str, Any] | None:
        return self.records.by_id.get(image_id)

    def decision(self, image_id: str) -> str | None:
        """The decision of the log, else (label mode) the label the image had on disk."""
        return self.decisions.decision(image_id) or self._labelled_before.get(image_id)

    def counts(self) -> Counter[str]:
        return Counter(self.decision(i) or "undecided" for i in self.order)

    @property
    def targets(self) -> tuple[str, ...]:
        """The decisions this mode offers, in key order."""
        return CLASSIFIER_CLASSES if self.kind == LABEL else REVIEW_TARGETS

    def progress_text(self) -> str:
        """`123 / 1,840   clean 100 · questionable 20 · rejected 2 · undecided 1,718`."""
        shown = f"{self.position + 1:,} / {len(self):,}" if self.order else "0 / 0"
        counts = self.counts()
        parts = [f"{name} {counts[name]:,}" for name in (*self.targets, "undecided")]
        return f"{shown}   " + " · ".join(parts)

    def resume_index(self) -> int:
        """The first image without a decision (the last one when all are decided)."""
        for i, image_id in enumerate(self.order):
            if self.decision(image_id) is None:
                return i
        return max(len(self.order) - 1, 0)

    # ---- moving around
    def go(self, delta: int) -> int:
        if self.order:
            self.position = min(max(self.position + delta, 0), len(self.order) - 1)
        return self.position

    def go_to(self, index: int) -> int:
        return self.go(index - self.position)

    def next_undecided(self) -> int:
        n = len(self.order)
        for step in range(1, n + 1):
            i = (self.position + step) % n
            if self.decision(self.order[i]) is None:
                return self.go_to(i)
        return self.position

    # ---- deciding
    def decide(self, image_ids: Sequence[str], target: str) -> Group:
        """Record `target` for the images, on disk first (fsync'd), then in memory."""
        entries = [Entry(i, self.location(i), target) for i in image_ids]
        group_number = self.decisions.next_number
        self.log.append(
            {
                "op": "decide",
                "kind": self.kind,
                "group": group_number,
                "image_id": e.image_id,
                "from": e.source,
                "to": e.target,
            }
            for e in entries
        )
        group = self.decisions.decide(entries)
        self._after_change(group)
        return group

    def decide_current(self, target: str) -> Group | None:
        """Decide the shown image and advance to the next one."""
        if self.current is None:
            return None
        group = self.decide([self.current], target)
        self.go(1)
        return group

    def undo(self) -> Group | None:
        """Take back the newest decision group and show its first image again."""
        top = self.decisions.top()
        if top is None:
            return None
        self.log.append([{"op": "undo", "kind": self.kind, "group": top.number}])
        group = self.decisions.undo()
        assert group is not None
        self._after_change(group)
        first = group.entries[0].image_id
        if first in self._index:
            self.go_to(self._index[first])
        return group

    def _after_change(self, group: Group) -> list[str]:
        """Label mode keeps the copies in the class folders in step with the decisions."""
        if self.kind != LABEL or self.config.labels_dir is None:
            return []
        problems: list[str] = []
        for image_id in group.image_ids:
            problems += sync_label(
                self.path(image_id), self.config.labels_dir, image_id, self.decision(image_id)
            )
        self.warnings += problems
        return problems

    # ---- the folder on disk
    def refresh(self) -> Changes:
        """Rescan the folder: new images go to the end, gone ones stay listed as gone."""
        old = self._scan.locations
        self._scan = fs.scan(self.folder, self.config.sets, self.records)
        now = self._scan.locations
        changes = Changes(
            new=[i for i in now if i not in self._index],
            gone=[i for i in old if i not in now],
            moved=[i for i in old if i in now and now[i] != old[i]],
        )
        for image_id in sorted(changes.new, key=self._sort_key):
            self._index[image_id] = len(self.order)
            self.order.append(image_id)
        return changes

    def planned_moves(self) -> list[Move]:
        """Review mode: each file whose decided set (or, undone, its first set) is not its own."""
        moves = []
        for image_id in self.order:
            where = self.location(image_id)
            want = self.decision(image_id) or self.decisions.home(image_id) or where
            if where is not None and want is not None and want != where:
                moves.append(Move(image_id, self._scan.files[image_id], where, want))
        return moves

    def apply(self) -> ApplyReport:
        """Move files to their decided sets (review mode); label mode writes copies as it goes."""
        if self.kind == LABEL:
            return ApplyReport()
        self.refresh()
        report = apply_moves(self.folder, self.planned_moves())
        self.log.append(
            {
                "op": "apply",
                "kind": self.kind,
                "image_id": m.image_id,
                "from": m.source,
                "to": m.target,
            }
            for m in report.moved
        )
        fs.record_moves(self.folder, self.records, report.moved)
        self.refresh()
        return report

    def unapplied_notice(self) -> str:
        """Review mode: how many decisions wait to be applied, and the command that applies them."""
        pending = len(self.planned_moves()) if self.kind == REVIEW else 0
        if not pending:
            return ""
        command = ["python", script_path("review_tool/app.py"), str(self.folder), "--apply"]
        if self.config.sets != SessionConfig.sets:
            command[3:3] = ["--sets", ",".join(self.config.sets)]
        decisions = "1 decision is" if pending == 1 else f"{pending:,} decisions are"
        return f"{decisions} not applied yet (files not moved); apply with: {shlex.join(command)}"
