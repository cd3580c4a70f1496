"""The crawler's atomic write and the clean-up of a killed crawl's temporary files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scars_scrapy.files import dead_parts, part_name, write_bytes_atomic


@pytest.mark.parametrize("scratch", [None, ".incoming"])
def test_the_file_appears_whole_and_no_part_is_left(tmp_path: Path, scratch: str | None) -> None:
    target = tmp_path / "store" / "a.jpg"
    folder = tmp_path / scratch if scratch else None
    if folder:
        folder.mkdir()
    write_bytes_atomic(target, b"old", folder)
    write_bytes_atomic(target, b"new", folder)
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in target.parent.iterdir()) == ["a.jpg"]
    assert folder is None or list(folder.iterdir()) == []


def test_a_failed_write_keeps_the_old_file_and_leaves_no_part(tmp_path: Path) -> None:
    target = tmp_path / "totals.json"
    write_bytes_atomic(target, b"whole")
    with pytest.raises(TypeError):
        write_bytes_atomic(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_bytes() == b"whole"
    assert [p.name for p in tmp_path.iterdir()] == ["totals.json"]


def test_only_parts_of_processes_that_are_gone_are_dead(tmp_path: Path) -> None:
    mine = tmp_path / part_name()
    gone = tmp_path / "999999999-deadbeef.part"
    other = tmp_path / "notes.txt"
    for path in (mine, gone, other):
        path.write_bytes(b"x")
    assert mine.name.startswith(f"{os.getpid()}-")
    assert dead_parts(tmp_path) == [gone]


def test_a_folder_another_worker_made_after_the_check_is_no_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two workers of one shared crawl make the store's folders at the same moment: each folder
    exists by the time the later one creates it, although its own check said it did not."""
    from scars_scrapy.pipelines.images import AtomicFSFilesStore

    store, model = tmp_path / "raw", tmp_path / "raw" / "range-rover-vogue"
    model.mkdir(parents=True)  # made by the other worker
    monkeypatch.setattr(Path, "exists", lambda self: False)  # this worker's check came first
    files = AtomicFSFilesStore(str(store))
    files._mkdir(model)
    monkeypatch.undo()
    assert model.is_dir() and (store / ".incoming").is_dir()
