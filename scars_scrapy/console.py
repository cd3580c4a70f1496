"""What a crawl prints: scars' own lines on the console, Scrapy's whole log in a file.

By default the console shows only the records of the `scars_scrapy.console` logger (the start
line, progress, the summary) and Scrapy's log goes to `<data>/logs/crawl-<time>-<pid>.log`.
`--verbose`, `-L LEVEL` or `-s LOG_LEVEL=...` put Scrapy's log on the console as well, as
Scrapy does; the file gets it all the same. `--nolog` silences both, as in Scrapy.
"""

from __future__ import annotations

import logging
import os
import shlex
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings

CONSOLE_LOGGER = "scars_scrapy.console"
console = logging.getLogger(CONSOLE_LOGGER)
console.setLevel(logging.INFO)  # shown whatever LOG_LEVEL says; it is what the user reads


@dataclass(frozen=True)
class Output:
    full_stream: bool  # Scrapy's log on the console as well
    log_file: Path | None  # where Scrapy's whole log goes; None with --nolog


def log_file(settings: BaseSettings) -> Path:
    """`LOG_FILE` if given, else a new file in `SCARS_LOG_DIR` (by default `logs/` beside
    `IMAGES_STORE`, i.e. `data/logs/`), one per run."""
    if settings.get("LOG_FILE"):
        return Path(settings["LOG_FILE"])
    store = Path(settings.get("IMAGES_STORE") or "data/raw")
    folder = Path(settings.get("SCARS_LOG_DIR") or store.parent / "logs")
    return folder / f"crawl-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"


def prepare(settings: BaseSettings, verbose: bool) -> Output:
    """Before Scrapy configures its logging: its log goes to the log file and, when asked
    for, to the console as well."""
    if not settings.getbool("LOG_ENABLED"):
        return Output(False, None)
    asked = settings.getpriority("LOG_LEVEL") or 0
    full = verbose or asked >= SETTINGS_PRIORITIES["cmdline"]
    path = log_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    settings.set("LOG_FILE", str(path), priority="cmdline")
    if full:
        # Added before Scrapy's own set-up, so that the console gets its banner too: that
        # set-up replaces only its own root handler.
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(settings["LOG_FORMAT"], settings["LOG_DATEFORMAT"]))
        handler.setLevel(settings.get("LOG_LEVEL"))
        logging.root.addHandler(handler)
    return Output(full, path)


def attach(output: Output) -> None:
    """After Scrapy configured its logging: the quiet console's handler, scars' lines only."""
    if output.log_file is None or output.full_stream:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    handler.addFilter(_for_the_console)
    logging.root.addHandler(handler)


def _for_the_console(record: logging.LogRecord) -> bool:
    """scars' own lines, and Scrapy's word that Ctrl+C was heard (the stop takes a while)."""
    if record.name == CONSOLE_LOGGER:
        return True
    return record.name == "scrapy.crawler" and str(record.msg).startswith("Received")


def command_line(argv: list[str] | None = None) -> str:
    """The command this process runs, to be run again as it is (to resume, say)."""
    argv = list(sys.argv if argv is None else argv)
    args = ["crawl", *argv[1:]]  # Scrapy's command line takes the command's name out of argv
    if Path(argv[0]).name == "__main__.py":  # python -m scrapy
        prog = [sys.executable, "-m", "scrapy"]
    else:
        prog = [Path(argv[0]).name or "scrapy"]
    return shlex.join([*prog, *args])
