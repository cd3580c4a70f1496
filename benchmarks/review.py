"""Benchmark: time from a key press to the next image on screen in the review window.

    python benchmarks/review.py [--images 300] [--interval 0.15] [--driver xdotool|tk]

Runs the real window (under a private Xvfb unless --display is given) over generated 1280x960
JPEG photos. Each press is a decision key (`c`: log line written and fsync'd, then the next image);
the time runs from the key event reaching the window's handler to the next image drawn
(`update_idletasks` after the canvas is given the new image). Scenarios:

- prefetch:    the tool as shipped (next images decoded in the background), a press every
               --interval seconds, the pace of a person deciding quickly;
- burst:       the same with presses every 20 ms (a key held down), to see prefetching keep up;
- no-prefetch: nothing decoded ahead (what a plain viewer does), the same presses.

Floors measured in the same run: decoding and fitting one photo (`load_fitted`) and making the
PhotoImage from an already-decoded one (their sum is the floor: what showing a photo costs when
nothing was done ahead), and one fsync'd log append. Results also go to benchmarks/out/review.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tkinter as tk
from pathlib import Path

from PIL import Image, ImageFilter, ImageTk

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from review_tool.images import load_fitted
from review_tool.keys import load_keymap
from review_tool.log import REVIEW, DecideEvent, DecisionLog
from review_tool.session import ReviewSession, SessionConfig
from review_tool.stamps import FileStamp
from review_tool.ui_style import UiOptions
from review_tool.ui_window import ReviewWindow

SIZE = (1200, 780)


def make_photos(folder: Path, count: int) -> None:
    """Photo-like 1280x960 JPEGs (smooth gradients plus fine noise, ~200 KB each at q90)."""
    clean = folder / "clean"
    clean.mkdir(parents=True)
    gradient = Image.linear_gradient("L").resize((1280, 960))
    for i in range(count):
        noise = Image.effect_noise((1280, 960), 40 + i % 30).filter(ImageFilter.GaussianBlur(1))
        bands = (
            gradient.rotate(i * 7 % 360),
            noise,
            gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
        )
        Image.merge("RGB", bands).save(clean / f"img{i:05d}.jpg", quality=90)


def start_xvfb() -> tuple[subprocess.Popen[bytes], str]:
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        return server, f":{pipe.readline().strip()}"


def run_scenario(
    folder: Path, presses: int, interval: float, ahead: int, driver: str
) -> list[float]:
    """Open a fresh window on the folder, press `c` `presses` times, return latencies in ms."""
    session = ReviewSession(SessionConfig(folder=folder))
    root = tk.Tk()
    root.geometry("+0+0")
    options = UiOptions(ahead=ahead, behind=0 if ahead == 0 else 2, size=SIZE, apply_on_close=False)
    window = ReviewWindow(root, session, load_keymap("review"), options)
    latencies: list[float] = []
    start_position = session.position

    def shown(_image_id: str | None, at: float) -> None:
        if session.position > start_position and window.key_time:
            latencies.append((at - window.key_time) * 1000)
            window.key_time = 0.0
            if len(latencies) >= presses:
                root.after(50, window.close)

    window.on_shown = shown
    root.update()
    root.focus_force()
    drivers: list[subprocess.Popen[bytes]] = []
    root.after(1000, _drive, root, presses, interval, driver, drivers)  # let the first image settle
    root.after(int(60_000 + presses * interval * 3000), window.close)  # never hang
    root.mainloop()
    for process in drivers:
        process.wait(timeout=60)
    return latencies


def _drive(
    root: tk.Tk, presses: int, interval: float, driver: str, out: list[subprocess.Popen[bytes]]
) -> None:
    if driver == "xdotool":
        delay = str(max(1, int(interval * 1000)))
        out.append(subprocess.Popen(["xdotool", "key", "--delay", delay, *["c"] * presses]))
        return

    def press(left: int) -> None:
        if left > 0 and root.winfo_exists():
            root.event_generate("<KeyPress>", keysym="c")
            root.after(int(interval * 1000), press, left - 1)

    press(presses)


def floors(folder: Path, count: int = 30) -> dict[str, float]:
    paths = sorted((folder / "clean").glob("*.jpg"))[:count]
    box = (SIZE[0] - 8, SIZE[1] - 8)
    decode = []
    for path in paths:
        t = time.perf_counter()
        loaded = load_fitted(path, box)
        decode.append((time.perf_counter() - t) * 1000)
    root = tk.Tk()
    photo = []
    for _ in range(count):
        t = time.perf_counter()
        ImageTk.PhotoImage(loaded.image)
        photo.append((time.perf_counter() - t) * 1000)
    root.destroy()
    log = DecisionLog(folder / "floor_log.jsonl")
    append = []
    for i in range(count):
        t = time.perf_counter()
        log.append([DecideEvent(REVIEW, i, "x", "clean", "clean", FileStamp(1, 1))])
        append.append((time.perf_counter() - t) * 1000)
    return {
        "decode_fit_ms": statistics.median(decode),
        "photoimage_ms": statistics.median(photo),
        "log_append_fsync_ms": statistics.median(append),
    }


def summarize(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "n": len(ordered),
        "median_ms": statistics.median(ordered),
        "p95_ms": p95,
        "max_ms": ordered[-1],
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--images", type=int, default=300, help="photos generated (default 300)")
    p.add_argument("--interval", type=float, default=0.15, help="seconds between presses")
    p.add_argument("--driver", choices=("xdotool", "tk"), default="xdotool")
    p.add_argument("--display", help="use this X display instead of a private Xvfb")
    args = p.parse_args()
    server = None
    if args.display:
        os.environ["DISPLAY"] = args.display
    else:
        server, os.environ["DISPLAY"] = start_xvfb()
    try:
        with tempfile.TemporaryDirectory(prefix="scars-review-bench-") as tmp:
            results = run_all(Path(tmp), args)
    finally:
        if server is not None:
            server.terminate()
            server.wait()
    out = Path(__file__).parent / "out" / "review.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    return 0


def scenario_folder(tmp: Path, index: int, count: int) -> Path:
    """A folder of its own photos per scenario, so none starts on images another decoded."""
    folder = tmp / f"run{index}"
    (folder / "clean").mkdir(parents=True)
    photos = sorted((tmp / "photos" / "clean").glob("*.jpg"))
    for photo in photos[index * count : (index + 1) * count]:
        os.link(photo, folder / "clean" / photo.name)
    return folder


def run_all(tmp: Path, args: argparse.Namespace) -> dict[str, object]:
    t = time.perf_counter()
    make_photos(tmp / "photos", args.images)
    print(f"generated {args.images} photos 1280x960 in {time.perf_counter() - t:.1f} s")
    presses = args.images // 3 - 1
    floor_ms = floors(tmp / "photos")
    print("floors: " + ", ".join(f"{k} {v:.1f}" for k, v in floor_ms.items()))
    floor = floor_ms["decode_fit_ms"] + floor_ms["photoimage_ms"]
    results: dict[str, object] = {"floors": floor_ms, "driver": args.driver}
    scenarios = [("prefetch", args.interval, 8), ("burst", 0.02, 8)]
    scenarios.append(("no-prefetch", args.interval, 0))
    for i, (name, interval, ahead) in enumerate(scenarios):
        folder = scenario_folder(tmp, i, presses + 1)
        stats = summarize(run_scenario(folder, presses, interval, ahead, args.driver))
        stats["ratio_to_floor"] = stats["median_ms"] / floor
        results[name] = {**stats, "interval_s": interval, "ahead": ahead}
        every = f"every {interval * 1000:4.0f} ms"
        print(
            f"{name:12s} presses {stats['n']:4.0f} {every}:  median {stats['median_ms']:6.1f} ms"
            f"  p95 {stats['p95_ms']:6.1f} ms  max {stats['max_ms']:6.1f} ms"
            f"  median/floor {stats['ratio_to_floor']:.2f}"
        )
    return results


if __name__ == "__main__":
    sys.exit(main())
