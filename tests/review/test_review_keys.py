"""Key bindings: defaults, config files and how key events map to actions."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from review_tool.keys import (
    KEYS_FILE_NAME,
    KeyConfigError,
    default_keys_toml,
    find_keys_file,
    key_spec,
    load_keymap,
)
from review_tool.log import LABEL, REVIEW


@pytest.mark.parametrize("mode", [REVIEW, LABEL])
def test_defaults_have_one_action_per_key(mode: str) -> None:
    keymap = load_keymap(mode)
    assert keymap.action("Right") == "next" and keymap.action("z", 0x4) == "undo"
    decisions = (
        {"clean", "questionable", "rejected"}
        if mode == REVIEW
        else {"front", "front_angled", "other"}
    )
    assert decisions <= set(keymap.keys)
    assert all(keys for keys, _ in keymap.help_lines())


def test_label_mode_has_no_apply_key_and_its_help_says_what_quitting_does() -> None:
    keymap = load_keymap(LABEL)
    assert keymap.action("A", 0x1) is None  # labels are copied as they are made
    help_text = "\n".join(f"{keys} {what}" for keys, what in keymap.help_lines())
    assert "apply" not in help_text.replace("nothing to apply", "")
    assert "Control-q quit (the labels are written already: nothing to apply)" in help_text
    review = dict(load_keymap(REVIEW).help_lines())
    assert review["A"] == "apply: move files to their decided sets"
    assert review["Control-q"] == "quit (applies decisions unless --no-apply-on-close)"


def test_events_become_specs() -> None:
    assert key_spec("z", 0x4) == "Control-z"
    assert key_spec("A", 0x1) == "A"  # shift+a is its own keysym
    assert key_spec("C", 0x2) == "c"  # caps lock does not turn c into another key
    assert key_spec("x", 0x10) == "x"  # num lock is ignored
    assert load_keymap(REVIEW).action("A", 0x1) == "apply"


def test_default_file_round_trips_and_partial_file_overrides(tmp_path: Path) -> None:
    parsed = tomllib.loads(default_keys_toml())
    assert parsed["clean"] == ["c"] and parsed["undo"] == ["u", "Control-z"]
    config = tmp_path / "keys.toml"
    config.write_text('clean = ["1", "k"]\nrejected = "3"\nundo = "ctrl-Z"\n')
    keymap = load_keymap(REVIEW, config)
    assert keymap.action("1") == "clean" and keymap.action("k") == "clean"
    assert keymap.action("c") is None and keymap.action("3") == "rejected"
    assert keymap.action("Z", 0x4) == "undo"
    assert keymap.action("q") == "questionable"  # untouched defaults stay


def test_json_and_keys_table(tmp_path: Path) -> None:
    json_file = tmp_path / "keys.json"
    json_file.write_text('{"keys": {"front": ["1"], "other": ["3"]}}')
    keymap = load_keymap(LABEL, json_file)
    assert keymap.action("1") == "front" and keymap.action("3") == "other"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('keep = ["k"]', "unknown action 'keep'"),
        ('clean = ["q"]', "'q' is bound to both"),
        ("clean = [1]", "clean must be a key or a list of keys"),
        ('clean = "Super-x"', "modifiers may be Control and Alt"),
        ("clean = [", "is not valid"),
    ],
)
def test_bad_config_names_file_and_entry(tmp_path: Path, text: str, message: str) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(text)
    with pytest.raises(KeyConfigError, match=message) as info:
        load_keymap(REVIEW, config)
    assert str(config) in str(info.value)


def test_label_keys_do_not_clash_with_review_keys_of_the_other_mode(tmp_path: Path) -> None:
    config = tmp_path / "k.toml"
    config.write_text('clean = "1"\nfront = "1"\n')  # same key, different modes: fine
    assert load_keymap(REVIEW, config).action("1") == "clean"
    assert load_keymap(LABEL, config).action("1") == "front"


def test_config_file_lookup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder, home = tmp_path / "model", tmp_path / "xdg"
    folder.mkdir()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    assert find_keys_file(None, folder) is None
    (home / "scars").mkdir(parents=True)
    (home / "scars" / KEYS_FILE_NAME).write_text("")
    assert find_keys_file(None, folder) == home / "scars" / KEYS_FILE_NAME
    (folder / KEYS_FILE_NAME).write_text("")
    assert find_keys_file(None, folder) == folder / KEYS_FILE_NAME
    assert find_keys_file(tmp_path / "x.toml", folder) == tmp_path / "x.toml"
    with pytest.raises(KeyConfigError, match="cannot read key config"):
        load_keymap(REVIEW, tmp_path / "x.toml")


def test_grid_captions_fit_their_cells() -> None:
    """One pixel per character stands in for the font: what fits is kept, the rest shortened."""
    from review_tool.ui_grid import fit_caption

    assert fit_caption("c1", "questionable", len, 40) == "c1 → questionable"
    assert fit_caption("abcdefgh", "questionable", len, 12) == "abcdefgh → q"
    assert fit_caption("abcdefghijkl", "questionable", len, 12) == "abcdefg… → q"
    assert fit_caption("abcdefghijkl", None, len, 6) == "abcde…"
    assert len(fit_caption("a" * 40, "rejected", len, 20)) <= 20
