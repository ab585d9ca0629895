"""Bad input: one line naming file, key and value; exit code 2; no traceback; no OUTDIR."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import swellfem_cli

BROKEN = Path(__file__).parent / "broken_cases"

EXPECTED = {
    "unknown_key.toml": ["geometry.layers[1].thicknes", "'15 nm'", "did you mean 'thickness'"],
    "nu_half.toml": ["materials.i-NMC.nu", "0.5"],
    "negative_thickness.toml": ["geometry.layers[1].thickness", "'-15 nm'"],
    "missing_material.toml": ["geometry.layers[1].material", "'NMC'", "did you mean 'i-NMC'"],
    "wrong_unit.toml": ["geometry.layers[1].thickness", "'15 GPa'", "not a length"],
    "unreadable.toml": ["not valid TOML", "line 7"],
    "empty.toml": ["empty"],
    "soc_out_of_range.toml": ["stages.soc[1]", "1.5"],
    "unknown_stage_mode.toml": ["stages.mode", "'uniformly'"],
    "binary.toml": ["not a text"],
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_case_gives_one_line_and_exit_2(name, tmp_path):
    out = tmp_path / "out"
    res = swellfem_cli("run", str(BROKEN / name), "-o", str(out))
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert "Traceback" not in res.stderr
    assert lines[0].startswith("swellfem: error: ")
    assert name in lines[0]
    for fragment in EXPECTED[name]:
        assert fragment in lines[0], (fragment, lines[0])
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_corpus_is_covered():
    assert sorted(p.name for p in BROKEN.glob("*.toml")) == sorted(EXPECTED)


def test_missing_file_and_bad_set(tmp_path):
    res = swellfem_cli("validate", str(tmp_path / "nope.toml"))
    assert res.returncode == 2 and "no such file" in res.stderr and "Traceback" not in res.stderr
    good = Path(__file__).parents[2] / "cases" / "verification" / "lame_3layer.toml"
    res = swellfem_cli("validate", str(good), "--set", "mesh.size=3")
    assert res.returncode == 2
    assert "mesh.size = 3" in res.stderr and "needs a unit" in res.stderr
