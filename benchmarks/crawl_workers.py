"""`benchmarks/crawl.py --workers N`: one crawl as one process, then as N workers sharing it
through a local redis-server, against the same local site (politeness off).

Reports photos per second for each, every worker's peak memory and CPU seconds, and the CPU
seconds of the site's server (this process) and of Redis, so the time can be placed.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.crawl import REPO, crawl_command
from benchmarks.memory import high_water_kb
from sitecopy.server import serve

TICKS = 100  # /proc/<pid>/stat counts CPU time in clock ticks (USER_HZ, 100 on Linux)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a running process so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def start_redis() -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed (Debian: apt-get install redis-server)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.05)
    server.kill()
    raise SystemExit("redis-server did not start")


def run_workers(commands: list[list[str]], logs: Path) -> dict[str, Any]:
    """Runs the commands at once; wall seconds, and each one's peak RSS (MB) and CPU seconds."""
    start = time.perf_counter()
    sinks = [(logs / f"worker-{n}.log").open("wb") for n in range(len(commands))]
    processes = [
        subprocess.Popen(command, cwd=REPO, stderr=sink, stdout=sink)
        for command, sink in zip(commands, sinks, strict=True)
    ]
    peak = [0] * len(processes)
    cpu = [0.0] * len(processes)
    while any(process.poll() is None for process in processes):
        for n, process in enumerate(processes):
            if process.poll() is None:
                peak[n] = max(peak[n], high_water_kb(process.pid))
                cpu[n] = max(cpu[n], cpu_seconds(process.pid))
        time.sleep(0.05)
    seconds = time.perf_counter() - start
    for sink in sinks:
        sink.close()
    if any(process.returncode for process in processes):
        raise SystemExit(f"a worker failed; see {logs}")
    return {"seconds": seconds, "peak_mb": [round(kb / 1024, 1) for kb in peak],
            "cpu_s": [round(c, 1) for c in cpu]}  # fmt: skip


def compare_workers(
    args: argparse.Namespace,
    build_site: Callable[..., Any],
    unthrottled: Callable[[int], dict[str, object]],
) -> dict[str, object]:
    images = 2000 if "--images" not in sys.argv else args.images
    width, height = map(int, args.size.split("x"))
    site = build_site(images, args.per_listing, (width, height), args.latency)
    logs = args.out.parent / "crawl-workers-logs"
    logs.mkdir(parents=True, exist_ok=True)
    result: dict[str, object] = {"images": images, "size": args.size, "latency_s": args.latency,
                                 "concurrency_per_worker": args.concurrency}  # fmt: skip
    redis, url = start_redis()
    try:
        with serve(site) as origin, tempfile.TemporaryDirectory() as tmp:
            for label, workers in (("one_process", 1), (f"{args.workers}_workers", args.workers)):
                folder = Path(tmp) / label
                result[label] = measure(origin, folder, workers, url, args, unthrottled, logs)
                site.hits.clear()
        result["redis_cpu_s"] = round(cpu_seconds(redis.pid), 1)
    finally:
        redis.terminate()
        redis.wait(10)
    return result


def measure(
    origin: str, folder: Path, workers: int, url: str, args: argparse.Namespace,
    unthrottled: Callable[[int], dict[str, object]], logs: Path,
) -> dict[str, object]:  # fmt: skip
    """One crawl of the site by `workers` processes (1: no Redis at all)."""
    commands = []
    for n in range(workers):
        settings: dict[str, object] = {
            "IMAGES_STORE": folder / f"raw-{n}", "SCARS_IMAGE_SIZE": args.size,
            "SCARS_PROGRESS_INTERVAL": 10, **unthrottled(args.concurrency),
        }  # fmt: skip
        if workers > 1:
            settings |= {"SCARS_REDIS_URL": url, "SCARS_REDIS_PAGE_DELAY": 0}
        commands.append(crawl_command(origin, settings))
    server_cpu = time.process_time()
    run = run_workers(commands, logs)
    stored = len(list(folder.glob("raw-*/range-rover-vogue/*.jpg")))
    return {
        "stored": stored, "seconds": round(run["seconds"], 1),
        "images_per_s": round(stored / run["seconds"], 1),
        "peak_rss_mb_per_worker": run["peak_mb"], "cpu_s_per_worker": run["cpu_s"],
        "site_server_cpu_s": round(time.process_time() - server_cpu, 1),
    }  # fmt: skip
