"""A review session: the folder's images in order, the position, decisions, undo, apply, rescan.

Everything the window does goes through here, so all of it runs (and is tested) without a display.
A decision is taken only on a file that is there; applying carries out only the decisions whose
file is the one they saw, where they saw it, and names the others (the rule is in `plan.py`).
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
from review_tool.decisions import REVIEW_TARGETS, Decisions, Entry, Group
from review_tool.labels import labels_on_disk, sync_label
from review_tool.log import (
    LABEL,
    LOG_NAME,
    REVIEW,
    ApplyEvent,
    DecideEvent,
    DecisionLog,
    UndoEvent,
    read_events,
)
from review_tool.moves import ApplyReport, Move, NotApplied, apply_moves
from review_tool.plan import Found, Plan, judge, plan
from review_tool.stamps import FileStamp, stamp_of


@dataclass(frozen=True)
class SessionConfig:
    folder: Path
    mode: str = REVIEW  # REVIEW or LABEL
    sets: tuple[str, ...] = ("clean", "questionable", "rejected")
    labels_dir: Path | None = None  # label mode: where class folders of copies go


@dataclass(frozen=True)
class GoneFile:
    """An image whose file left the sets shown: its name and the set it was in."""

    image_id: str
    name: str
    set_name: str | None  # None: it was in none of them (an id not listed)

    def path_text(self) -> str:
        return f"{self.set_name}/{self.name}" if self.set_name else self.name

    def where(self) -> str:
        return f"{self.set_name}/" if self.set_name else "the sets shown"


def _some(gone: Sequence[GoneFile], shown: int = 3) -> str:
    names = ", ".join(g.path_text() for g in gone[:shown])
    return names + (f" and {len(gone) - shown:,} more" if len(gone) > shown else "")


@dataclass
class Changes:
    """What a rescan found changed on disk since the last look."""

    new: list[str] = field(default_factory=list)
    gone: list[GoneFile] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)

    def message(self) -> str:
        parts = []
        if self.new:
            parts.append(f"{len(self.new):,} new image(s) appeared (added at the end)")
        if self.gone:
            parts.append(
                f"{len(self.gone):,} image(s) gone from the folder, taken off the list: "
                f"{_some(self.gone)}"
            )
        if self.moved:
            parts.append(f"{len(self.moved):,} image(s) moved by another program")
        return "folder changed: " + "; ".join(parts) if parts else ""


@dataclass(frozen=True)
class Decided:
    """A decision key's outcome: the group logged (None: nothing was decided) and the images
    not decided because their file had gone (they are off the list now)."""

    group: Group | None
    gone: list[GoneFile] = field(default_factory=list)
    changes: Changes | None = None  # the rescan that found them gone

    def message(self) -> str:
        """`car1.jpg is gone from clean/: not decided`, with what else the rescan found."""
        if not self.gone:
            return ""
        if len(self.gone) == 1:
            gone = self.gone[0]
            text = f"{gone.name} is gone from {gone.where()}: not decided"
        else:
            text = f"{len(self.gone):,} images are gone ({_some(self.gone)}): not decided"
        more = self.changes is not None and (
            self.changes.new or self.changes.moved or len(self.changes.gone) > len(self.gone)
        )
        return f"{text}; {self.changes.message()}" if more and self.changes else text


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
        self._names = dict(self._scan.files)  # every file name seen, gone ones too
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

    def file_name(self, image_id: str) -> str:
        """The image's file name, also when its file is gone (as a scan or its record saw it)."""
        if image_id in self._names:
            return self._names[image_id]
        output = (self.record(image_id) or {}).get("output")
        return Path(output).name if isinstance(output, str) and output else image_id

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
    def decide(self, image_ids: Sequence[str], target: str) -> Decided:
        """Record `target` for the images, on disk first (fsync'd), then in memory.

        An image whose file has gone from the sets shown is not decided: a rescan takes it off
        the list, and the outcome names it. A file moved to another set shown is decided there."""
        stamps = self._stamps(image_ids)
        gone: list[GoneFile] = []
        changes = None
        if len(stamps) < len(image_ids):
            was = [self._gone_file(i) for i in image_ids if i not in stamps]
            changes = self.refresh()
            stamps |= self._stamps([g.image_id for g in was])
            gone = [g for g in was if g.image_id not in stamps]
        entries = [Entry(i, self.location(i), target, stamps[i]) for i in image_ids if i in stamps]
        return Decided(self._log_decision(entries) if entries else None, gone, changes)

    def _stamps(self, image_ids: Sequence[str]) -> dict[str, FileStamp]:
        """The stamps of the images whose file is where the last scan saw it."""
        found = {i: stamp_of(path) for i in image_ids if (path := self.path(i)) is not None}
        return {i: stamp for i, stamp in found.items() if stamp is not None}

    def _gone_file(self, image_id: str, scan: fs.Scan | None = None) -> GoneFile:
        """The image as `scan` (default: the last scan) saw it: its file name and set."""
        where = (scan or self._scan).locations.get(image_id)
        return GoneFile(image_id, self.file_name(image_id), where)

    def _log_decision(self, entries: Sequence[Entry]) -> Group:
        number = self.decisions.next_number
        self.log.append(
            DecideEvent(self.kind, number, e.image_id, e.source, e.target, e.stamp) for e in entries
        )
        group = self.decisions.decide(entries)
        self._after_change(group)
        return group

    def decide_current(self, target: str) -> Decided:
        """Decide the shown image and advance to the next one (a gone one is off the list: the
        next one is shown already)."""
        if self.current is None:
            return Decided(None)
        decided = self.decide([self.current], target)
        if decided.group is not None:
            self.go(1)
        return decided

    def undo(self) -> Group | None:
        """Take back the newest decision group and show its first image again."""
        top = self.decisions.top()
        if top is None:
            return None
        self.log.append([UndoEvent(self.kind, top.number)])
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
        """Rescan the folder: new images go to the end, gone ones leave the list."""
        old = self._scan
        self._scan = fs.scan(self.folder, self.config.sets, self.records)
        self._names.update(self._scan.files)
        now = self._scan.locations
        changes = Changes(
            new=[i for i in now if i not in self._index],
            gone=[self._gone_file(i, old) for i in self.order if i not in now],
            moved=[i for i in old.locations if i in now and now[i] != old.locations[i]],
        )
        self._take_off({g.image_id for g in changes.gone})
        for image_id in sorted(changes.new, key=self._sort_key):
            self._index[image_id] = len(self.order)
            self.order.append(image_id)
        return changes

    def _take_off(self, gone: set[str]) -> None:
        """Take images off the list; the one shown stays shown, or its next one takes its place."""
        if not gone:
            return
        before = sum(1 for image_id in self.order[: self.position] if image_id in gone)
        self.order = [image_id for image_id in self.order if image_id not in gone]
        self._index = {image_id: i for i, image_id in enumerate(self.order)}
        self.position = max(min(self.position - before, len(self.order) - 1), 0)

    def _found(self, found: fs.Scan, image_id: str) -> Found:
        where = found.locations.get(image_id)
        name = found.files.get(image_id) or self.file_name(image_id)
        path = fs.set_folder(self.folder, where) / name if where is not None else None
        return Found(where, name, path)

    def _judge(self, found: fs.Scan, image_id: str) -> Move | NotApplied | None:
        wanted, seen = self.decisions.wanted(image_id), self.decisions.last_seen(image_id)
        return judge(image_id, wanted, seen, self._found(found, image_id))

    def plan(self) -> Plan:
        """Review mode: what applying does with each image the log has a decision on, looked
        for in every set (a decision moves its file also out of, or into, a set not shown)."""
        if self.kind != REVIEW:
            return Plan()
        sets = (*self.config.sets, *(s for s in REVIEW_TARGETS if s not in self.config.sets))
        found = fs.scan(self.folder, sets, self.records)
        self._names.update(found.files)
        decided = sorted(self.decisions.image_ids(), key=self._sort_key)
        return plan([self._judge(found, image_id) for image_id in decided])

    def not_applicable(self, image_id: str) -> NotApplied | None:
        """Why the image's decision would not be applied (None: it would, or there is none)."""
        if self.kind != REVIEW:
            return None
        outcome = self._judge(self._scan, image_id)
        return outcome if isinstance(outcome, NotApplied) else None

    def apply(self) -> ApplyReport:
        """Move files to their decided sets (review mode); label mode writes copies as it goes.
        The report names every decision not applied, and why (see `plan.py`)."""
        if self.kind == LABEL:
            return ApplyReport()
        planned = self.plan()
        report = apply_moves(self.folder, planned.moves)
        report.not_applied[:0] = planned.not_applied
        self.log.append(
            ApplyEvent(self.kind, m.image_id, m.source, m.target, m.stamp) for m in report.moved
        )
        for move in report.moved:
            self.decisions.moved(move.image_id, move.target, move.stamp)
        fs.record_moves(self.folder, self.records, report.moved)
        self.refresh()
        return report

    def not_applied_notice(self) -> str:
        """Review mode: the logged decisions applying would leave alone, the first one named."""
        stuck = self.plan().not_applied
        if not stuck:
            return ""
        first = stuck[0].line().removeprefix("not applied: ")
        if len(stuck) == 1:
            return f"1 logged decision cannot be applied: {first}"
        many = f"{len(stuck):,} logged decisions cannot be applied (applying names each)"
        return f"{many}: {first}; …"

    def unapplied_notice(self) -> str:
        """Review mode: how many decisions wait to be applied, and the command that applies them."""
        pending = len(self.plan().moves)
        if not pending:
            return ""
        command = ["python", script_path("review_tool/app.py"), str(self.folder), "--apply"]
        if self.config.sets != SessionConfig.sets:
            command[3:3] = ["--sets", ",".join(self.config.sets)]
        decisions = "1 decision is" if pending == 1 else f"{pending:,} decisions are"
        return f"{decisions} not applied yet (files not moved); apply with: {shlex.join(command)}"
