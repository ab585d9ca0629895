"""Fuzzing the front door: seeded, generated broken case files, --set overrides and sweep
files. Every one must end as exit 0 (valid) or exit 2 with one line naming the problem: never
a traceback, never another exit code, never a file written. Validation only, in-process."""

from __future__ import annotations

import copy
import random
import signal
import tomllib

import pytest

from conftest import CASES

SEED = 20261125
BASE = tomllib.loads((CASES / "znse" / "znse_inmc_orgo.toml").read_text())

NASTY_STRINGS = [
    "nm", "", "   ", "10**10**10 nm", "1e308 nm", "1e999 nm", "-5 nm", "0 nm", "5 kg", "5 nm nm", "inf m^2/s",
    "nan nm", "5e-9 m", "3 mm", "1e-4 nm", "50", "fifty nm", "5 nm**99**99", "(5 nm", "5 GPa", "1e-18 m^2/s",
    "\x00", "é", "x" * 5000, "2 nm / 0", "-0.0 nm", "5 nm; rm -rf /", "../x", ".", "/abs/dir", "a/b",
]
NASTY_VALUES = [None, True, -1, 0, 2**70, 10**4000, 1e308, float("inf"), float("nan"), -0.0, [], [1, 2], {}, {"a": 1},
                [[[[[[1]]]]]], "soc", 0.5]
KEYS = ["name", "geometry.type", "geometry.layers", "geometry.layers.0.outer_radius", "geometry.layers.1.thickness",
        "geometry.layers.2.material", "geometry.layers.0.name", "materials.ZnSe.E", "materials.ZnSe.nu",
        "materials.new.E", "model.formulation", "model.element_degree", "model.solver", "mesh.size",
        "mesh.interface_size", "mesh.min_elements_across_layer", "stages.mode", "stages.soc", "stages.front_width",
        "stages.diffusivity", "stages.steps_per_stage", "output.fields", "output.axial_points_per_layer",
        "geometry.layers.9.thickness", "stages", "model", "nosuch.key", "mesh.nosuch"]


def _toml_value(v) -> str:
    if v is None:
        return '""'
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return "inf" if v == float("inf") else ("nan" if v != v else repr(v))
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"').replace("\x00", "\\u0000") + '"'
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return "{" + ", ".join(f"{k} = {_toml_value(x)}" for k, x in v.items()) + "}"


def _dump(data: dict, prefix: str = "") -> str:
    """A small TOML writer (tables, arrays of tables, inline values) for generated cases."""
    lines, tables = [], []
    for k, v in data.items():
        if isinstance(v, dict) and v and all(isinstance(x, (dict, list, str, int, float, bool)) for x in v.values()):
            tables.append((k, v))
        elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            tables.append((k, v))
        else:
            lines.append(f'"{k}" = {_toml_value(v)}')
    out = "\n".join(lines) + "\n"
    for k, v in tables:
        name = f'{prefix}"{k}"'
        if isinstance(v, list):
            for item in v:
                out += f"\n[[{name}]]\n" + _dump(item, name + ".")
        else:
            out += f"\n[{name}]\n" + _dump(v, name + ".")
    return out


def _set_path(data, path: list[str], value) -> None:
    node = data
    for p in path[:-1]:
        if isinstance(node, list):
            node = node[int(p) % max(len(node), 1)] if node else node
        elif isinstance(node, dict):
            node = node.setdefault(p, {})
        if not isinstance(node, (dict, list)):
            return
    last = path[-1]
    if isinstance(node, dict):
        node[last] = value
    elif isinstance(node, list) and node and last.isdigit():
        node[int(last) % len(node)] = value


def _del_path(data, path: list[str]) -> None:
    node = data
    for p in path[:-1]:
        node = node[int(p)] if isinstance(node, list) and p.isdigit() and int(p) < len(node) else (
            node.get(p) if isinstance(node, dict) else None)
        if node is None:
            return
    if isinstance(node, dict):
        node.pop(path[-1], None)


def _mutants(rng: random.Random, n: int) -> list[str]:
    out = []
    for _ in range(n):
        data = copy.deepcopy(BASE)
        for _ in range(rng.randint(1, 3)):
            key = rng.choice(KEYS).split(".")
            action = rng.random()
            if action < 0.2:
                _del_path(data, key)
            elif action < 0.55:
                _set_path(data, key, rng.choice(NASTY_STRINGS))
            elif action < 0.8:
                _set_path(data, key, rng.choice(NASTY_VALUES))
            elif action < 0.9:
                _set_path(data, key, [round(rng.uniform(-0.5, 1.5), 2) for _ in range(rng.randint(0, 6))])
            else:
                _set_path(data, key[:-1] + [rng.choice(["typo", "sizee", "E ", "layers2"])], "1 nm")
        text = _dump(data)
        r = rng.random()
        if r < 0.05:
            text = text[: rng.randint(0, len(text))]  # truncated file
        elif r < 0.08:
            text = "a = " + "[" * rng.randint(100, 3000)  # deep nesting
        elif r < 0.1:
            text = bytes(rng.getrandbits(8) for _ in range(200)).decode("latin-1")
        out.append(text)
    return out


@pytest.fixture
def cli(capsys, tmp_path, monkeypatch):
    """Run swellfem's main() in this process; give back (exit code, stderr lines)."""
    from swellfem import cli as cli_module

    monkeypatch.chdir(tmp_path)
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}

    def run(*args: str):
        code = cli_module.main(list(args))
        out = capsys.readouterr()
        return code, [line for line in out.err.splitlines() if line.strip()]

    yield run
    for s, h in saved.items():
        signal.signal(s, h)


def _assert_clean(code: int, err: list[str], what: str) -> None:
    assert code in (0, 2), f"{what}: exit {code}: {err}"
    assert not any("Traceback" in line for line in err), what
    if code == 2:
        assert len(err) == 1 and err[0].startswith("swellfem: error: "), f"{what}: {err}"
    else:
        assert not err, f"{what}: {err}"


def test_generated_case_files(cli, tmp_path):
    rng = random.Random(SEED)
    counts = {0: 0, 2: 0}
    for i, text in enumerate(_mutants(rng, 300)):
        path = tmp_path / f"case{i}.toml"
        path.write_text(text, encoding="utf-8", errors="surrogateescape")
        code, err = cli("validate", str(path))
        _assert_clean(code, err, f"case{i}")
        counts[code] += 1
    assert counts[2] > 150 and counts[0] > 5  # the generator makes both broken and valid cases
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("case")) == []


def test_generated_overrides(cli, tmp_path):
    rng = random.Random(SEED + 1)
    case = str(CASES / "znse" / "znse_inmc_orgo.toml")
    for i in range(200):
        sets = []
        for _ in range(rng.randint(1, 3)):
            key = rng.choice(KEYS + ["", ".", "a..b", "geometry.layers.x.thickness", "stages.soc.3"])
            value = rng.choice([_toml_value(rng.choice(NASTY_STRINGS)), _toml_value(rng.choice(NASTY_VALUES)),
                                "[0.1, 0.5", "{", "nm", "=", "'x'", '"""'])
            sets += ["--set", f"{key}={value}" if rng.random() > 0.05 else key]
        code, err = cli("validate", case, *sets)
        _assert_clean(code, err, f"--set {sets}")
    assert not list(tmp_path.iterdir())


def test_generated_sweep_files(tmp_path):
    from swellfem.case import CaseError
    from swellfem.studies.sweep import load_sweep

    rng = random.Random(SEED + 2)
    base = (CASES / "znse" / "znse_inmc_orgo.toml").as_posix()
    for i in range(120):
        params = []
        for _ in range(rng.randint(1, 2)):
            key = rng.choice(KEYS)
            if rng.random() < 0.5:
                values = [rng.choice(NASTY_STRINGS + ["5 nm", "10 nm", "2 nm"]) for _ in range(rng.randint(0, 3))]
                params.append(f'[[parameters]]\nkey = "{key}"\nvalues = {_toml_value(values)}\n')
            else:
                start, stop = rng.choice(["2 nm", "0 nm", "1e308 nm", "nm", 3]), rng.choice(["10 nm", "-5 nm", "1 um", 7])
                step = rng.choice(['"0 nm"', '"-1 nm"', '"1e-9 nm"', '"2 nm"', "0", '"1 s"'])
                num = rng.choice(["", ", num = 3", ", num = 1", ", num = 100000"])
                rng_text = f"{{ start = {_toml_value(start)}, stop = {_toml_value(stop)}" + (
                    f", step = {step}" if not num else num) + " }"
                params.append(f'[[parameters]]\nkey = "{key}"\nlabel = "{rng.choice(["a", "a", "b"])}"\nrange = {rng_text}\n')
        text = f'name = "fz{i}"\nbase = "{base}"\nset = ["output.fields=false"]\n' + "\n".join(params)
        path = tmp_path / f"sweep{i}.toml"
        path.write_text(text)
        try:
            spec, points, _ = load_sweep(path)
        except CaseError as exc:
            assert "\n" not in str(exc) and str(exc), text
        else:
            assert points and any(p.case is not None for p in points)
