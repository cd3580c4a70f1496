"""The command lines' parser: a bad argument is one line, not the whole usage before it.

argparse prints the usage (twenty lines for run.py) and then the error; the error is what the
user needs, and `--help` gives the rest.
"""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

INTERRUPTED = 130  # the exit status of a program stopped by Ctrl-C, as shells report it


class BriefParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message} (see {self.prog} --help)\n")
        raise SystemExit(2)
