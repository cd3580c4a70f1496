"""Key bindings: defaults, the config file (TOML or JSON), and turning a key press into an action.

A key is written as a Tk keysym (`c`, `Right`, `space`, `Delete`, `question`, `F1`, `A` for
shift+a), optionally with `Control-` and/or `Alt-` in front (`Control-z`). The config file only
needs the actions it changes; each value is a key or a list of keys, and replaces that action's
default keys. Config file lookup: `--keys FILE`, else `<folder>/review_keys.toml`, else
`$XDG_CONFIG_HOME/scars/review_keys.toml` (`~/.config/scars/review_keys.toml`), else the defaults.
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from review_tool.log import LABEL

KEYS_FILE_NAME = "review_keys.toml"

# Action -> (default keys, what the help overlay says). Order is the help overlay's order.
REVIEW_ACTIONS: dict[str, tuple[list[str], str]] = {
    "clean": (["c"], "keep as clean"),
    "questionable": (["q"], "move to questionable"),
    "rejected": (["x", "Delete"], "reject"),
}
LABEL_ACTIONS: dict[str, tuple[list[str], str]] = {
    "front": (["f"], "label front"),
    "front_angled": (["a"], "label front_angled"),
    "other": (["o"], "label other"),
}
COMMON_ACTIONS: dict[str, tuple[list[str], str]] = {
    "next": (["Right"], "next image (grid: next cell)"),
    "prev": (["Left"], "previous image (grid: previous cell)"),
    "up": (["Up"], "grid: cell above"),
    "down": (["Down"], "grid: cell below"),
    "page_next": (["Next"], "next page (grid) / 10 images on"),
    "page_prev": (["Prior"], "previous page (grid) / 10 images back"),
    "next_undecided": (["n"], "jump to the next undecided image"),
    "undo": (["u", "Control-z"], "undo the last decision (again for more)"),
    "grid": (["g"], "switch between single image and grid"),
    "mark": (["space"], "grid: mark/unmark the cell for a bulk decision"),
    "help": (["h", "question", "F1"], "show/hide this help"),
    "apply": (["A"], "apply: move files to their decided sets"),
    "close": (["Escape"], "close help / leave the grid"),
    "quit": (["Control-q"], "quit (applies decisions unless --no-apply-on-close)"),
}
# Label mode writes each label as it is made: it has no apply key, and quitting applies nothing.
LABEL_COMMON_ACTIONS: dict[str, tuple[list[str], str]] = {
    **{a: v for a, v in COMMON_ACTIONS.items() if a != "apply"},
    "quit": (["Control-q"], "quit (the labels are written already: nothing to apply)"),
}
ALL_ACTIONS = {**REVIEW_ACTIONS, **LABEL_ACTIONS, **COMMON_ACTIONS}

_MODIFIER_BITS = (("Control", 0x4), ("Alt", 0x8))


class KeyConfigError(Exception):
    """The key config file is wrong; the message names the file and the bad entry."""


@dataclass(frozen=True)
class KeyMap:
    mode: str
    bindings: dict[str, str]  # key spec -> action
    keys: dict[str, list[str]]  # action -> key specs (for the help overlay)
    source: Path | None = None

    def action(self, keysym: str, state: int = 0) -> str | None:
        return self.bindings.get(key_spec(keysym, state))

    def help_lines(self) -> list[tuple[str, str]]:
        """(keys, description) for every action of this mode, in help order."""
        actions = mode_actions(self.mode)
        return [(" ".join(self.keys[a]), actions[a][1]) for a in self.keys]


def key_spec(keysym: str, state: int = 0) -> str:
    """The canonical spec of a Tk key event: `Control-z`, `A`, `Right`."""
    if state & 0x2 and not state & 0x1 and len(keysym) == 1:
        keysym = keysym.lower()  # Caps Lock on: a plain letter still means its own key
    mods = [name for name, bit in _MODIFIER_BITS if state & bit]
    return "-".join([*mods, keysym])


def normalize_spec(spec: str) -> str:
    """`ctrl-Z`-style variations of a configured key, written the way `key_spec` writes events."""
    *mods, keysym = spec.split("-")
    aliases = {"control": "Control", "ctrl": "Control", "alt": "Alt", "mod1": "Alt"}
    names = {aliases.get(m.lower(), m) for m in mods}
    unknown = names - {"Control", "Alt"}
    if unknown or not keysym:
        raise KeyConfigError(f"key {spec!r}: modifiers may be Control and Alt, then one keysym")
    return "-".join([*(n for n, _ in _MODIFIER_BITS if n in names), keysym])


def mode_actions(mode: str) -> dict[str, tuple[list[str], str]]:
    if mode == LABEL:
        return {**LABEL_ACTIONS, **LABEL_COMMON_ACTIONS}
    return {**REVIEW_ACTIONS, **COMMON_ACTIONS}


def default_keys_toml() -> str:
    """The defaults as a config file (what `--print-keys` writes)."""
    lines = ["# scars review tool keys: action = [Tk keysyms]; only changed actions are needed."]
    for action, (keys, description) in ALL_ACTIONS.items():
        lines.append(f"{action} = {json.dumps(keys)}  # {description}")
    return "\n".join(lines) + "\n"


def find_keys_file(explicit: Path | None, folder: Path) -> Path | None:
    if explicit is not None:
        return explicit
    config_home = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    for candidate in (folder / KEYS_FILE_NAME, config_home / "scars" / KEYS_FILE_NAME):
        if candidate.is_file():
            return candidate
    return None


def _read_file(path: Path) -> dict[str, object]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KeyConfigError(f"cannot read key config {path}: {exc.strerror or exc}") from exc
    try:
        if path.suffix.lower() == ".json":
            parsed = json.loads(data)
        else:
            parsed = tomllib.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise KeyConfigError(f"key config {path} is not valid: {exc}") from exc
    if not isinstance(parsed, dict):
        raise KeyConfigError(f"key config {path} must be a table of action = keys")
    # Accept the actions at the top level or under a [keys] table.
    table = parsed.get("keys", parsed)
    return table if isinstance(table, dict) else {}


def _overrides(path: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for action, value in _read_file(path).items():
        if action not in ALL_ACTIONS:
            known = ", ".join(ALL_ACTIONS)
            raise KeyConfigError(f"key config {path}: unknown action {action!r} (known: {known})")
        keys = [value] if isinstance(value, str) else value
        if not isinstance(keys, list) or not all(isinstance(k, str) and k for k in keys):
            raise KeyConfigError(f"key config {path}: {action} must be a key or a list of keys")
        out[action] = keys
    return out


def load_keymap(mode: str, path: Path | None = None) -> KeyMap:
    """The keys for `mode` (REVIEW or LABEL): defaults with the file's changes on top."""
    overrides = _overrides(path) if path is not None else {}
    keys = {a: overrides.get(a, default) for a, (default, _) in mode_actions(mode).items()}
    bindings: dict[str, str] = {}
    for action, specs in keys.items():
        where = f"key config {path}" if path else "keys"
        try:
            normalized = [normalize_spec(s) for s in specs]
        except KeyConfigError as exc:
            raise KeyConfigError(f"{where}: {action}: {exc}") from exc
        for spec in normalized:
            other = bindings.get(spec)
            if other is not None:
                raise KeyConfigError(f"{where}: key {spec!r} is bound to both {other} and {action}")
            bindings[spec] = action
    return KeyMap(mode, bindings, keys, path)
