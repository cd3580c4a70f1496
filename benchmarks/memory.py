"""A process's own peak memory, for the benchmarks' child processes.

`getrusage(RUSAGE_SELF).ru_maxrss` is no good in a child: Python starts it with vfork, and Linux
carries the parent's high-water mark across the exec, so every child would report at least the
parent's peak. VmHWM in /proc starts afresh with the exec's new address space.
"""

from __future__ import annotations

import resource
from pathlib import Path


def high_water_kb(pid: int | str = "self") -> int:
    """The process's peak resident memory so far, in kB (0 where /proc cannot tell)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    line = next((row for row in status.splitlines() if row.startswith("VmHWM:")), "VmHWM: 0 kB")
    return int(line.split()[1])


def own_peak_mb() -> float:
    """This process's peak resident memory in MB (ru_maxrss where there is no /proc)."""
    kb = high_water_kb() or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024
