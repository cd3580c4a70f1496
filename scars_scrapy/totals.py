"""The crawl's counts as JSON files: the summary (`SCARS_SUMMARY_FILE`) and a job's totals.

A crawl run with `JOBDIR` is one job in parts: each part ends by writing the counts so far to
`<JOBDIR>/scars-totals.json`, and the next part starts from them, so a resumed crawl's summary
counts what the stopped parts did too. Both files are written under a temporary name and
renamed: a kill leaves the previous file whole.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from scars_scrapy.files import write_bytes_atomic
from scars_scrapy.progress import PREFIX, SCRAPY_KEYS

TOTALS_FILE = "scars-totals.json"
logger = logging.getLogger(__name__)


def summary(stats: Mapping[str, Any], reason: str) -> dict[str, Any]:
    """The project's counters (every skip and drop under its reason) and why the crawl ended."""
    counts = {k[len(PREFIX) :]: v for k, v in sorted(stats.items()) if k.startswith(PREFIX)}
    counts |= {k: stats[k] for k in SCRAPY_KEYS if k in stats}
    return {"finish_reason": reason, "counts": counts}


def carried(stats: Mapping[str, Any]) -> dict[str, int]:
    """The counters a later part of the job adds to: the project's and the summary's Scrapy
    ones (times and peaks are per part)."""
    return {
        key: value
        for key, value in stats.items()
        if (key.startswith(PREFIX) or key in SCRAPY_KEYS)
        and isinstance(value, int)
        and not isinstance(value, bool)
    }


def load_job_totals(jobdir: Path) -> dict[str, int]:
    """The counts of the job's earlier parts; none for a new job or an unreadable file."""
    path = jobdir / TOTALS_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        logger.warning(
            "Counts of the earlier parts not read from %s (%s): starting at 0", path, exc
        )
        return {}
    return carried(data) if isinstance(data, dict) else {}


def save_job_totals(jobdir: Path, stats: Mapping[str, Any]) -> None:
    write_json(jobdir / TOTALS_FILE, carried(stats))


def write_json(path: Path, data: Mapping[str, Any]) -> None:
    write_bytes_atomic(path, (json.dumps(data, indent=2) + "\n").encode("utf-8"))
