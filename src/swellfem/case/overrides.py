"""``--set dotted.key=value`` overrides of a case, sweep or comparison file (TOML values).

List items are addressed by index (``geometry.layers.1.thickness``). Switching
``stages.mode`` drops the options of the old mode that the new one does not have.
"""

from __future__ import annotations

import tomllib
from typing import Any

from .errors import CaseError
from .schema import _STAGE_MODELS

def parse_override(text: str) -> tuple[list[str], Any]:
    """Split ``dotted.key=value``; the value is read as TOML, else taken as a string."""
    if "=" not in text:
        raise CaseError(about_keys=True, message=f"--set {text!r}: expected dotted.key=value")
    key, raw = text.split("=", 1)
    key = key.strip()
    if not key or any(not part for part in key.split(".")):
        raise CaseError(about_keys=True, message=f"--set {text!r}: expected dotted.key=value")
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return key.split("."), value


def apply_overrides(data: dict, overrides: list[str]) -> dict:
    """Set dotted keys (list items by index, e.g. ``geometry.layers.1.thickness``)."""
    for text in overrides:
        path, value = parse_override(text)
        node: Any = data
        for i, part in enumerate(path[:-1]):
            if isinstance(node, list):
                node = _list_item(node, part, path[: i + 1], text)
            else:
                node = node.setdefault(part, {})
                if not isinstance(node, (dict, list)):
                    raise CaseError(about_keys=True, message=f"--set {text!r}: '{'.'.join(path[: i + 1])}' is not a table")
        last = path[-1]
        if isinstance(node, list):
            idx = int(last) if last.isdigit() else None
            if idx is None or idx >= len(node):
                raise CaseError(about_keys=True, message=f"--set {text!r}: no item {last} in '{'.'.join(path[:-1])}'")
            node[idx] = value
        else:
            node[last] = value
    return data


def _list_item(node: list, part: str, path: list[str], text: str) -> Any:
    if not part.isdigit() or int(part) >= len(node):
        raise CaseError(about_keys=True, message=f"--set {text!r}: no item {part} in '{'.'.join(path[:-1])}'")
    return node[int(part)]


def prune_after_mode_switch(data: dict, overrides: list[str]) -> None:
    """``--set stages.mode=...`` switches the stage mode: options of the old mode that the
    new one does not have are dropped (unless they were set on the command line too)."""
    paths = [parse_override(o)[0] for o in overrides]
    if ["stages", "mode"] not in paths or not isinstance(data.get("stages"), dict):
        return
    model = _STAGE_MODELS.get(data["stages"].get("mode"))
    if model is None:
        return
    explicit = {p[1] for p in paths if len(p) == 2 and p[0] == "stages"}
    for key in list(data["stages"]):
        if key not in model.model_fields and key not in explicit:
            del data["stages"][key]
