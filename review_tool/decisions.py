"""Decision state rebuilt from the log: current decision per image, undo groups, home sets.

Decisions form a stack of groups (one key press is one group; a bulk decision in the grid is one
group of many images). Undo takes the top group back. An image decided twice has both entries on
the stack, so undoing the second brings the first back. Nothing here touches files or Tk.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from filtering.records import CLEAN, QUESTIONABLE, REJECTED

REVIEW = "review"
LABEL = "label"

# What a review decision can be: the set the file belongs in.
REVIEW_TARGETS: tuple[str, ...] = (CLEAN, QUESTIONABLE, REJECTED)


@dataclass(frozen=True)
class Entry:
    """One image's decision inside a group."""

    image_id: str
    source: str | None  # the set the file was in when decided (None: it was missing)
    target: str


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
        self._next_group = 1

    @classmethod
    def replay(cls, kind: str, events: Iterable[dict[str, Any]]) -> Decisions:
        state = cls(kind)
        pending: dict[int, list[Entry]] = {}
        for event in events:
            if event.get("kind", REVIEW) != kind:
                continue
            state._replay_one(event, pending)
        state._flush(pending)
        return state

    def _replay_one(self, event: dict[str, Any], pending: dict[int, list[Entry]]) -> None:
        op, group = event.get("op"), event.get("group")
        if not isinstance(group, int):
            return
        self._next_group = max(self._next_group, group + 1)
        if op == "decide" and isinstance(event.get("image_id"), str):
            if pending and group not in pending:
                self._flush(pending)
            entry = Entry(event["image_id"], event.get("from"), str(event.get("to")))
            pending.setdefault(group, []).append(entry)
        elif op == "undo":
            self._flush(pending)
            self._pop(group)

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
        return group

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
