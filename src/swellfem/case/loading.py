"""Reading case files: TOML in, a validated :class:`~swellfem.case.schema.Case` out."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import ValidationError

from .errors import MISSING, CaseError, did_you_mean, schema_error
from .feasibility import check_feasible
from .materials import library
from .overrides import apply_overrides, prune_after_mode_switch
from .schema import Case

#: Largest case, sweep or comparison file read (bytes): these are small text files.
MAX_FILE_BYTES = 1 << 20


def read_case_data(path: str | Path) -> dict:
    """Read a TOML case file into a dict, with one-line errors for broken files."""
    path = Path(path)
    try:
        if path.is_dir():
            raise CaseError("is a directory, not a case file", source=path)
        if path.exists() and not path.is_file():
            raise CaseError("is not a regular file (a pipe or a device?); give a TOML file", source=path)
        with path.open("rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            raise CaseError(f"larger than {MAX_FILE_BYTES >> 20} MiB; not a case file", source=path)
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise CaseError("no such file", source=path) from None
    except UnicodeDecodeError:
        raise CaseError("not a text (UTF-8) file", source=path) from None
    except OSError as exc:
        raise CaseError(f"cannot read ({exc.strerror})", source=path) from None
    if not text.strip():
        raise CaseError("the file is empty; a case needs at least name, [geometry] and [stages]", source=path)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CaseError(f"not valid TOML: {exc}", source=path) from None
    except RecursionError:
        raise CaseError("not valid TOML: nested too deeply", source=path) from None
    except ValueError as exc:  # e.g. an integer of thousands of digits
        raise CaseError(f"not valid TOML: {str(exc).splitlines()[0]}", source=path) from None


def _resolve_geometry_path(data: dict, source: str | Path | None) -> dict:
    """A geometry file's path (``geometry.path``) relative to the case file's folder."""
    geo = data.get("geometry") if isinstance(data, dict) else None
    if not isinstance(geo, dict) or not isinstance(geo.get("path"), str) or source is None:
        return data
    path = Path(geo["path"]).expanduser()
    if not path.is_absolute():
        path = Path(source).resolve().parent / path
    return {**data, "geometry": {**geo, "path": str(path)}}


def load_case(path: str | Path, overrides: list[str] | None = None) -> Case:
    """Read, override and validate a case file. Raises :class:`CaseError`."""
    data = read_case_data(path)
    return case_from_data(data, source=path, overrides=overrides)


def case_from_data(data: dict, source: str | Path | None = None, overrides: list[str] | None = None) -> Case:
    """Validate a case given as a dict (as read from TOML). Raises :class:`CaseError`."""
    if overrides:
        try:
            data = apply_overrides(data, list(overrides))
        except CaseError as exc:
            raise CaseError(exc.detail, source=source, about_keys=exc.about_keys) from None
        prune_after_mode_switch(data, overrides)
    data = _resolve_geometry_path(data, source)
    try:
        case = Case.model_validate(data)
    except ValidationError as exc:
        raise schema_error(exc, source, root=Case) from None
    except (RecursionError, ValueError) as exc:
        raise CaseError(f"cannot be validated: {type(exc).__name__}", source=source) from None
    for name, spec in case.materials.items():
        missing = [p for p in ("E", "nu", "volumetric_expansion", "role") if getattr(spec, p) is None]
        if name not in library() and missing:
            raise CaseError(
                f"'{name}' is not in the library, so it must set {', '.join(missing)}",
                source=source,
                key=f"materials.{name}",
                value=data.get("materials", {}).get(name, MISSING),
            )
    keys = case.geometry.material_keys
    for region, material in case.geometry.region_materials.items():
        if material not in library() and material not in case.materials:
            hint = did_you_mean(material, list(library()) + list(case.materials))
            raise CaseError(
                f"unknown material{hint}; define it under [materials.{material}] or use one of: "
                + ", ".join(library()),
                source=source,
                key=keys[region],
                value=material,
            )
    try:
        case.resolved_materials()
    except ValueError as exc:  # parameters that need others (plasticity without a yield strength)
        raise CaseError(str(exc), source=source) from None
    if case.model.formulation == "3d" and case.model.solver == "direct" and case.solved_linearly():
        raise CaseError("formulation '3d' solved linearly (small strain, elastic, no void) needs solver 'iterative' "
                        "or 'auto': its rigid-body modes are removed through the Krylov solver's null space (a case "
                        "solved by Newton's method holds each body by a 3-2-1 support and may take 'direct')",
                        source=source, key="model.solver", value="direct")
    known = [f"{a}|{b}" for a, b in case.geometry.interfaces]
    for key in case.adhesion_strength:
        if key not in known:
            raise CaseError(f"no such interface; interfaces: {', '.join(known) or 'none'}", source=source,
                            key=f'adhesion_strength."{key}"', value=data.get("adhesion_strength", {}).get(key, MISSING))
    check_feasible(case, source)
    return case
