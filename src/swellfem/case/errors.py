"""One-line errors for bad input: :class:`CaseError`, did-you-mean hints, and the
translation of a pydantic validation error into the key a user wrote. No dolfinx here."""

from __future__ import annotations

import difflib
import types
import typing
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ValidationError

class CaseError(Exception):
    """A case that cannot be used; ``str(err)`` is a one-line message naming file, key and value."""

    def __init__(self, message: str, source: str | Path | None = None, key: str | None = None, value: Any = None,
                 about_keys: bool = False):
        #: True if the error is about the keys themselves (an unknown key, a bad --set path),
        #: not about a value: no value of the same key can make it valid.
        self.about_keys = about_keys
        self.source = str(source) if source is not None else None
        self.key = key
        self.value = value
        self.detail = message
        super().__init__(self._line())

    def _line(self) -> str:
        parts = []
        if self.source:
            parts.append(self.source)
        if self.key:
            parts.append(f"{self.key} = {_show(self.value)}" if self.value is not MISSING else self.key)
        parts.append(self.detail)
        return ": ".join(parts)


MISSING = object()


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value) if len(value) <= 60 else repr(value[:57] + "...")
    if isinstance(value, dict):
        return "{...}" if value else "{}"
    text = repr(value)
    return text if len(text) < 60 else text[:57] + "..."


def did_you_mean(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.5)
    return f" (did you mean '{close[0]}'?)" if close else ""


def schema_error(exc: ValidationError, source: str | Path | None, root: type[BaseModel]) -> CaseError:
    """The first error of a validation against ``root`` (the case, a sweep or comparison
    file), as a one-line :class:`CaseError` with the key a user wrote and a did-you-mean hint."""
    err = exc.errors(include_url=False)[0]
    loc = list(err["loc"])
    kind = err["type"]
    value = err.get("input", MISSING)
    if kind == "extra_forbidden":
        key_parts, allowed = _walk(root, loc[:-1])
        key = _dotted(key_parts + [loc[-1]])
        hint = did_you_mean(str(loc[-1]), allowed)
        options = f"; allowed here: {', '.join(allowed)}" if allowed else ""
        return CaseError(f"unknown key{hint}{options}", source=source, key=key, value=value, about_keys=True)
    key = _dotted(_walk(root, loc)[0])
    if kind == "missing":
        return CaseError("required key is missing", source=source, key=key or "(top level)", value=MISSING)
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if kind == "union_tag_invalid":
        ctx = err.get("ctx", {})
        tag = str(ctx.get("discriminator", "type")).strip("'")
        value = ctx.get("tag", value)
        key = f"{key}.{tag}" if key else tag
        msg = f"unknown {tag}; expected one of {ctx.get('expected_tags', '')}"
    if kind == "union_tag_not_found":
        msg = f"missing key {err.get('ctx', {}).get('discriminator', '')}"
    return CaseError(msg, source=source, key=key or "(top level)", value=value)


def _dotted(parts: list) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _walk(model: Any, loc: list) -> tuple[list, list[str]]:
    """Follow a pydantic error location through the schema: the key path a user wrote
    (without union tags) and the keys allowed where the path ends."""
    parts: list = []
    current: Any = model
    for item in loc:
        current, skip = _step(current, item)
        if not skip:
            parts.append(item)
    return parts, _fields_of(current)


def _step(tp: Any, item: Any) -> tuple[Any, bool]:
    origin = typing.get_origin(tp)
    if origin is Annotated:
        return _step(typing.get_args(tp)[0], item)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        for a in args:
            a0 = typing.get_args(a)[0] if typing.get_origin(a) is Annotated else a
            tag_field = _tag_field(a0)
            if tag_field is not None and item in typing.get_args(a0.model_fields[tag_field].annotation):
                return a0, True
        if len(args) == 1:
            return _step(args[0], item)
        return None, False
    if origin is list:
        return typing.get_args(tp)[0], False
    if origin is dict:
        return typing.get_args(tp)[1], False
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        tag_field = _tag_field(tp)
        if tag_field is not None and item in typing.get_args(tp.model_fields[tag_field].annotation):
            return tp, True
        field = tp.model_fields.get(item)
        return (field.annotation if field else None), False
    return None, False


def _tag_field(tp: Any) -> str | None:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        for name in ("type", "mode"):
            f = tp.model_fields.get(name)
            if f is not None and typing.get_origin(f.annotation) is Literal:
                return name
    return None


def _fields_of(tp: Any) -> list[str]:
    while typing.get_origin(tp) is Annotated:
        tp = typing.get_args(tp)[0]
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return list(tp.model_fields)
    if typing.get_origin(tp) in (Union, types.UnionType):
        return sorted({f for a in typing.get_args(tp) for f in _fields_of(a)})
    return []
