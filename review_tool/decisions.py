"""Decision state rebuilt from the log: current decision per image, undo groups, home sets.

Decisions form a stack of groups (one key press is one group; a bulk decision in the grid is one
group of many images). Undo takes the top group back. An image decided twice has both entries on
the stack, so undoing the second brings the first back. Each image's sightings (the set and file
its live decisions saw, and where applies put it) say where the log last saw its file: applying
moves a file only from there (see `plan.py`). Nothing here touches files or Tk.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from filtering.records import CLEAN, QUESTIONABLE, REJECTED
from review_tool.log import ApplyEvent, DecideEvent, Event, UndoEvent
from review_tool.stamps import FileStamp, Sighting

# What a review decision can be: the set the file belongs in.
REVIEW_TARGETS: tuple[str, ...] = (CLEAN, QUESTIONABLE, REJECTED)


@dataclass(frozen=True)
class Entry:
    """One image's decision inside a group."""

    image_id: str
    source: str | None  # the set the file was in when decided (None: it was gone, old logs only)
    target: str
    stamp: FileStamp | None = None  # the file decided (None in old logs)


@dataclass(frozen=True)
class Group:
    number: int
    entries: tuple[Entry, ...]

    @property
    def image_ids(self) -> list[str]:
        return [e.image_id for e in self.entries]


class Decisions:
    """The live decisions of one kind (review or label), replayed from log events."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._stack: list[Group] = []
        self._current: dict[str, list[str]] = {}  # image_id -> targets, oldest first
        self._home: dict[str, str] = {}  # image_id -> set it was in at its first decision
        # image_id -> where its live decisions and the applies saw the file, oldest first, each
        # with the group that saw it (None: an apply), so that undo takes its sighting back.
        self._sightings: dict[str, list[tuple[int | None, Sighting]]] = {}
        self._next_group = 1

    @classmethod
    def replay(cls, kind: str, events: Iterable[Event]) -> Decisions:
        state = cls(kind)
        pending: dict[int, list[Entry]] = {}
        for event in events:
            if event.kind == kind:
                state._replay_one(event, pending)
        state._flush(pending)
        return state

    def _replay_one(self, event: Event, pending: dict[int, list[Entry]]) -> None:
        if isinstance(event, DecideEvent):
            self._next_group = max(self._next_group, event.group + 1)
            if pending and event.group not in pending:
                self._flush(pending)
            entry = Entry(event.image_id, event.source, event.target, event.stamp)
            pending.setdefault(event.group, []).append(entry)
        elif isinstance(event, UndoEvent):
            self._next_group = max(self._next_group, event.group + 1)
            self._flush(pending)
            self._pop(event.group)
        elif isinstance(event, ApplyEvent):
            self._flush(pending)
            self.moved(event.image_id, event.target, event.stamp)

    def _flush(self, pending: dict[int, list[Entry]]) -> None:
        for number, entries in pending.items():
            self._push(Group(number, tuple(entries)))
        pending.clear()

    def _push(self, group: Group) -> None:
        self._stack.append(group)
        for e in group.entries:
            self._current.setdefault(e.image_id, []).append(e.target)
            if e.source is not None:
                self._home.setdefault(e.image_id, e.source)
            sighting = Sighting(e.source, e.stamp)
            self._sightings.setdefault(e.image_id, []).append((group.number, sighting))

    def _pop(self, number: int | None = None) -> Group | None:
        if not self._stack or (number is not None and self._stack[-1].number != number):
            # An undo that names a group other than the top one: take back that group if live.
            index = next((i for i, g in enumerate(self._stack) if g.number == number), None)
            if index is None:
                return None
            group = self._stack.pop(index)
        else:
            group = self._stack.pop()
        for e in group.entries:
            targets = self._current[e.image_id]
            targets.reverse()
            targets.remove(e.target)  # the newest entry with this target
            targets.reverse()
            if not targets:
                del self._current[e.image_id]
            seen = self._sightings[e.image_id]
            seen[:] = [(by, sighting) for by, sighting in seen if by != group.number]
        return group

    def moved(self, image_id: str, target: str, stamp: FileStamp | None) -> None:
        """An apply moved the image's file to `target`: that is where the log saw it last."""
        self._sightings.setdefault(image_id, []).append((None, Sighting(target, stamp)))

    def decide(self, entries: Sequence[Entry]) -> Group:
        """Record one group of decisions in memory; the caller writes the same to the log."""
        group = Group(self._next_group, tuple(entries))
        self._next_group += 1
        self._push(group)
        return group

    def undo(self) -> Group | None:
        """Take back the newest group (None when there is nothing to undo)."""
        return self._pop()

    def decision(self, image_id: str) -> str | None:
        targets = self._current.get(image_id)
        return targets[-1] if targets else None

    def wanted(self, image_id: str) -> str | None:
        """The set the image's file belongs in: its decision, else (all undone) its first set."""
        return self.decision(image_id) or self.home(image_id)

    def last_seen(self, image_id: str) -> Sighting | None:
        """Where the live decisions and the applies last saw the file (None: no word on it)."""
        seen = self._sightings.get(image_id)
        return seen[-1][1] if seen else None

    def image_ids(self) -> list[str]:
        """Every image the log has a word on, in the order of its first decision."""
        return list(self._sightings)

    def home(self, image_id: str) -> str | None:
        """The set an image was in before its first decision (None if never decided)."""
        return self._home.get(image_id)

    def counts(self, image_ids: Iterable[str]) -> Counter[str]:
        return Counter(self.decision(i) or "undecided" for i in image_ids)

    @property
    def next_number(self) -> int:
        """The group number the next decision gets."""
        return self._next_group

    def top(self) -> Group | None:
        """The group that undo would take back."""
        return self._stack[-1] if self._stack else None
