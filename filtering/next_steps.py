"""What to do after a filtering run, as commands with this run's own paths: the run prints
them and the report shows them, so either can be copied and run as it is."""

from __future__ import annotations

import shlex
from pathlib import Path

from filtering.classes import CLASSIFIER_CLASSES
from filtering.records import (
    CLEAN,
    QUESTIONABLE,
    REVIEW_STAGE,
    TO_LABEL,
    Record,
    rejected_as_not_front,
)
from filtering.settings import FilterSettings
from filtering.training.labelled import label_on_disk
from review_tool.log import LOG_NAME

REPOSITORY = Path(__file__).resolve().parents[1]


def next_steps(name: str, settings: FilterSettings, records: dict[str, Record]) -> list[str]:
    """The commands to run next, with this run's own paths, so they run as printed."""
    final, labels = settings.final(name), settings.labels(name)
    if any(r["fate"] == TO_LABEL for r in records.values()):
        return [
            f"next: label the crops waiting in {final / TO_LABEL}:",
            f"  python {script('review_tool/app.py')} {shlex.quote(str(final))} --label",
            "then train the classifier on those labels:",
            f"  python {script('filtering/train.py')} --data {shlex.quote(str(labels))}"
            + _start_from(settings.detector),
        ]
    steps = []
    if any(r["fate"] in (CLEAN, QUESTIONABLE) for r in records.values()):
        review = f"  python {script('review_tool/app.py')} {shlex.quote(str(final))}"
        steps += ["next: review the sets:", review]
    news = _new_since_training(labels, final, Path(settings.classifier))
    return steps + _label_rejections(final, labels, records, settings.detector, news)


def _label_rejections(
    final: Path, labels: Path, records: dict[str, Record], detector: str, news: bool
) -> list[str]:
    """The classifier's rejections are where it is most often wrong: labelling those it got
    wrong gives the next training exactly the examples it lacked. Once some are labelled, or a
    review has moved crops (its corrections are labels too), the training that takes them in is
    the step after, if there is `news` for it: a label or a review newer than the classifier."""
    # Rejections recorded before their crops were kept have no crop to show.
    shown = [i for i, r in records.items() if rejected_as_not_front(r) and r.get("crop")]
    waiting = [i for i in shown if not _labelled(labels, i)]
    reviewed = any(r.get("stage") == REVIEW_STAGE for r in records.values())
    steps = []
    if waiting:
        steps += [
            f"look through the {len(waiting):,} crop(s) the classifier rejected that are not "
            f"labelled yet in {labels}, and label the front views among them:",
            f"  python {script('review_tool/app.py')} {shlex.quote(str(final))} --label "
            "--sets not_front",
        ]
    if news and (len(waiting) < len(shown) or reviewed):
        corrections = f" and the review's moves in {final}" if reviewed else ""
        steps += [
            f"then train again with the labels in {labels}{corrections}:",
            f"  python {script('filtering/train.py')} --data {shlex.quote(str(labels))}"
            + (f" --reviewed {shlex.quote(str(final))}" if reviewed else "")
            + _start_from(detector),
        ]
    return steps


def _new_since_training(labels: Path, final: Path, classifier: Path) -> bool:
    """Whether a label (a file or a class folder: relabelling moves a file) or the review log
    is newer than the classifier in use; only then has a new training anything new to learn.
    A classifier that is no file here (a name Ultralytics resolves) tells nothing: it may."""
    if not classifier.is_file():
        return True
    trained = classifier.stat().st_mtime
    folders = [labels / label for label in CLASSIFIER_CLASSES if (labels / label).is_dir()]
    changed = [*folders, *(path for folder in folders for path in folder.iterdir())]
    changed += [log for log in (final / LOG_NAME,) if log.is_file()]
    return any(path.stat().st_mtime > trained for path in changed)


def _labelled(labels: Path, image_id: str) -> bool:
    return label_on_disk(labels, image_id, CLASSIFIER_CLASSES) is not None


def _start_from(detector: str) -> str:
    """The detector's own weights as the classifier's start, when they are a file here: its
    features are what the training recipe was measured with, and they need no download."""
    path = Path(detector)
    return f" --weights {shlex.quote(str(path))}" if path.suffix == ".pt" and path.is_file() else ""


def script(name: str) -> str:
    """A script of this repository as the user can type it from where they ran this one."""
    return shlex.quote(script_path(name))


def script_path(name: str) -> str:
    """`script`'s path, unquoted, for a command that is quoted as a whole."""
    path = REPOSITORY / name
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)
