"""Bad input: one line naming the bad thing, exit code 2, and nothing written anywhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from filtering.export import main
from filtering.locks import hold_model_folder
from tests.export.conftest import MODEL, Reviewed
from tests.export.helpers import run_export, tree


def _refused(cwd: Path, watched: Path, *args: str) -> str:
    """Run an export that must be refused; return its one line. `watched` must not change."""
    before = tree(watched)
    names = sorted(p.name for p in watched.rglob("*"))
    done = run_export(cwd, *args)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stdout == "" and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert tree(watched) == before and sorted(p.name for p in watched.rglob("*")) == names
    return done.stderr.strip()


def test_an_unknown_model(reviewed: Reviewed, tmp_path: Path) -> None:
    line = _refused(
        reviewed.root, reviewed.root, "--model", "no-such-car", "--out", str(tmp_path / "x")
    )
    assert "unknown model 'no-such-car'" in line and MODEL in line
    assert not (tmp_path / "x").exists()


def test_an_unknown_model_names_the_final_folder_and_its_models(tmp_path: Path) -> None:
    (tmp_path / "data" / "raw" / "ferrari-599").mkdir(parents=True)  # crawled, not filtered
    (tmp_path / "data" / "raw" / ".incoming").mkdir()
    for model in ("range-rover-vogue", "bmw-320", ".hidden"):
        (tmp_path / "data" / "final" / model).mkdir(parents=True)
    line = _refused(tmp_path, tmp_path, "--model", "nosuch", "--out", "x")
    assert line == (
        "error: unknown model 'nosuch': not a folder under data/final (bmw-320, range-rover-vogue)"
    )


def test_a_model_never_filtered(tmp_path: Path) -> None:
    raw = tmp_path / "data" / "raw" / "bmw-320"
    raw.mkdir(parents=True)
    (raw / "0001.jpg").write_bytes(b"\xff\xd8 not filtered yet")
    line = _refused(tmp_path, tmp_path, "--model", "bmw-320", "--out", "export")
    assert "'bmw-320' was never filtered" in line and "filtering/run.py" in line


@pytest.mark.parametrize("out", ["data/exports/vogue", "data", "."])
def test_an_export_folder_inside_or_around_the_data_folder(reviewed: Reviewed, out: str) -> None:
    line = _refused(reviewed.root, reviewed.root, "--model", MODEL, "--out", out, "--replace")
    assert f"--out {out} " in line and "data folder" in line


def test_a_folder_that_is_not_empty(reviewed: Reviewed, tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("years of work")
    line = _refused(reviewed.root, tmp_path, "--model", MODEL, "--out", str(out))
    assert f"--out {out} is not empty" in line and "--replace" in line
    line = _refused(reviewed.root, tmp_path, "--model", MODEL, "--out", str(out), "--replace")
    assert "not an export" in line


@pytest.mark.parametrize(
    ("option", "value", "words"),
    [
        ("--sets", "rejected", "not exportable"),
        ("--val-fraction", "1.5", "--val-fraction"),
        ("--test-fraction", "0.95", "sum < 1"),
    ],
)
def test_bad_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str, value: str, words: str
) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["--model", MODEL, "--out", str(tmp_path / "x"), option, value])
    assert stop.value.code == 2 and words in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_a_model_a_run_is_filtering_now(tmp_path: Path) -> None:
    """Its sets and records are still changing: the export says so and waits for the run."""
    final = tmp_path / "data" / "final" / "bmw-320"
    (final / "clean").mkdir(parents=True)
    (final / "clean" / "0001.jpg").write_bytes(b"\xff\xd8 a crop")
    (final / "records.jsonl").write_text('{"image_id": "0001", "fate": "clean"}\n')
    with hold_model_folder(final) as run:  # as a filtering run holds it
        line = _refused(tmp_path, tmp_path, "--model", "bmw-320", "--out", "export")
    assert line == (
        f"error: data/final/bmw-320 is being filtered by another run (pid {run.pid} on "
        f"{run.host}, started {run.started}): export it once that run has ended"
    )
    # Once the run has ended, the same command exports.
    done = run_export(tmp_path, "--model", "bmw-320", "--out", "export")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "export" / "export.json").exists()


def test_a_model_whose_crops_all_wait_for_labels(tmp_path: Path) -> None:
    final = tmp_path / "data" / "final" / "bmw-320"
    (final / "to_label").mkdir(parents=True)
    (final / "to_label" / "0001.jpg").write_bytes(b"\xff\xd8 a crop")
    (final / "records.jsonl").write_text('{"image_id": "0001", "fate": "to_label"}\n')
    line = _refused(tmp_path, tmp_path, "--model", "bmw-320", "--out", "export")
    assert "nothing to export: no images in clean/" in line and "wait for labels" in line
