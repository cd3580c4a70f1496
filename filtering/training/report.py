"""The evaluation report: an HTML page for a person and a JSON file of the same numbers."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from filtering.files import write_text_atomic
from filtering.report_html import Thumb, contact_sheet, page, table
from filtering.training.labelled import Skipped
from filtering.training.metrics import Scores, share_text
from filtering.training.predict import Prediction

MAX_THUMBS = 400  # misclassified crops shown; more would make the page slow to open


@dataclass(frozen=True)
class Evaluation:
    title: str
    facts: dict[str, object]  # what was evaluated and how: weights, start, data, imgsz, split
    scores: Scores
    predictions: Sequence[Prediction]
    skipped: Sequence[Skipped]


def write_report(evaluation: Evaluation, stem: Path) -> tuple[Path, Path]:
    """`<stem>.html` and `<stem>.json`, each written whole or not at all."""
    html_path, json_path = report_paths(stem)
    html_text, json_text = report_texts(evaluation)
    write_text_atomic(json_path, json_text)
    write_text_atomic(html_path, html_text)
    return html_path, json_path


def report_paths(stem: Path) -> tuple[Path, Path]:
    """The HTML page and the JSON file of the report `stem`."""
    return stem.with_suffix(".html"), stem.with_suffix(".json")


def report_texts(evaluation: Evaluation) -> tuple[str, str]:
    """The HTML page and the JSON file's content (training writes them first under names of
    their own, to put them in place with its model)."""
    return as_html(evaluation), json.dumps(as_json(evaluation), indent=1) + "\n"


def as_json(evaluation: Evaluation) -> dict[str, object]:
    scores = evaluation.scores
    return {
        **evaluation.facts,
        "images": len(evaluation.predictions),
        "accuracy": scores.accuracy,
        "classes": scores.classes,
        "per_class": {s.label: asdict(s) for s in scores.per_class},
        "confusion": {"rows_true_columns_predicted": scores.classes, "matrix": scores.confusion},
        "predictions": [
            {
                "path": str(p.path),
                "label": p.label,
                "predicted": p.predicted,
                "conf": round(p.conf, 4),
                "other": p.other,
            }
            for p in evaluation.predictions
        ],
        "skipped": [{"path": str(s.path), "reason": s.reason} for s in evaluation.skipped],
    }


def as_html(evaluation: Evaluation) -> str:
    scores = evaluation.scores
    wrong = [p for p in evaluation.predictions if p.predicted != p.label]
    sections = [
        table(["", ""], [_fact(k, v) for k, v in evaluation.facts.items() if k != "title"]),
        f"<p>{len(evaluation.predictions)} images, accuracy {_accuracy(evaluation)}</p>",
        "<h2>Per class</h2>",
        table(
            ["class", "images", "predicted as", "correct", "precision", "recall"],
            [
                (
                    s.label,
                    s.images,
                    s.predicted,
                    s.correct,
                    share_text(s.correct, s.predicted),
                    share_text(s.correct, s.images),
                )
                for s in scores.per_class
            ],
        ),
        "<h2>Confusion matrix</h2><p>Rows: true class; columns: predicted class.</p>",
        table(["true \\ predicted", *scores.classes], _matrix_rows(scores)),
        f"<h2>Misclassified ({len(wrong)})</h2>",
        _misclassified(wrong),
        *_skipped_section(evaluation.skipped),
    ]
    return page(evaluation.title, sections)


# Facts whose key alone would mislead, shown under a longer name in the page.
SHOWN_AS = {"train_images_balanced": "train images of each head (one fold's others, balanced)"}


def _fact(key: str, value: object) -> tuple[str, str]:
    if isinstance(value, dict):
        value = ", ".join(f"{k} {v}" for k, v in value.items())
    elif isinstance(value, list | tuple):
        value = ", ".join(map(str, value)) or "none"
    return SHOWN_AS.get(key, key.replace("_", " ")), str(value)


def _matrix_rows(scores: Scores) -> list[list[object]]:
    return [[label, *row] for label, row in zip(scores.classes, scores.confusion, strict=True)]


def _misclassified(wrong: Sequence[Prediction]) -> str:
    if not wrong:
        return "<p>None.</p>"
    shown = sorted(wrong, key=lambda p: -p.conf)[:MAX_THUMBS]  # confident mistakes first
    thumbs = [
        Thumb(p.path, f"{p.label} → {p.predicted} ({p.conf:.2f}) {p.path.name}") for p in shown
    ]
    more = (
        f"<p>and {len(wrong) - len(shown)} more (see the JSON)</p>"
        if len(wrong) > len(shown)
        else ""
    )
    return contact_sheet(thumbs) + more


def _skipped_section(skipped: Sequence[Skipped]) -> list[str]:
    if not skipped:
        return []
    rows = [(str(s.path), s.reason) for s in skipped]
    return [f"<h2>Skipped ({len(skipped)})</h2>", table(["file", "reason"], rows)]


def _accuracy(evaluation: Evaluation) -> str:
    predictions = evaluation.predictions
    return share_text(sum(p.predicted == p.label for p in predictions), len(predictions))
