"""Output directories: a user's files are never replaced, an earlier result only with
--overwrite and only by the command that wrote it; a sweep resumes only its own folder."""

from __future__ import annotations

import os

import pytest

from swellfem.results.files import MARKER, OutputError, check_output_dir

from conftest import CASES, swellfem_cli

LAME = CASES / "verification" / "lame_3layer.toml"
QUICK = ["--set", "stages.soc=[1.0]", "--set", "output.fields=false", "-q"]


def test_rules(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert check_output_dir(tmp_path / "new", "run") == "new"
    (tmp_path / "empty").mkdir()
    assert check_output_dir(tmp_path / "empty", "run") == "new"
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    for overwrite in (False, True):
        with pytest.raises(OutputError, match="swellfem did not write"):
            check_output_dir(mine, "run", overwrite)
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="is a file"):
        check_output_dir(tmp_path / "file", "run", True)
    with pytest.raises(OutputError, match="current directory"):
        check_output_dir(tmp_path, "run", True)
    with pytest.raises(OutputError, match="current directory"):
        check_output_dir(tmp_path.parent, "run", True)
    result = tmp_path / "result"
    result.mkdir()
    (result / MARKER).write_text('{"kind": "compare"}')
    with pytest.raises(OutputError, match="'compare' result, not a 'run'"):
        check_output_dir(result, "run", True)
    with pytest.raises(OutputError, match="--overwrite"):
        check_output_dir(result, "compare")
    assert check_output_dir(result, "compare", True) == "replace"
    (result / MARKER).write_text('{"kind": "sweep", "identity": "abc"}')
    assert check_output_dir(result, "sweep", identity="abc") == "resume"
    with pytest.raises(OutputError, match="another sweep"):
        check_output_dir(result, "sweep", identity="xyz")


def test_run_never_touches_a_users_folder(tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    res = swellfem_cli("run", str(LAME), "-o", str(mine), "--overwrite", *QUICK)
    assert res.returncode == 2 and "did not write" in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]
    out = tmp_path / "r"
    assert swellfem_cli("run", str(LAME), "-o", str(out), *QUICK).returncode == 0
    before = (out / "summary.json").read_bytes()
    res = swellfem_cli("run", str(LAME), "-o", str(out), *QUICK)
    assert res.returncode == 2 and "--overwrite" in res.stderr
    assert (out / "summary.json").read_bytes() == before
    res = swellfem_cli("compare", str(CASES / "znse" / "comparison.toml"), "-o", str(out), "--overwrite", "-q")
    assert res.returncode == 2 and "not a 'compare' result" in res.stderr
    assert swellfem_cli("run", str(LAME), "-o", str(out), "--overwrite", *QUICK).returncode == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine", "r"]


def test_case_name_is_not_a_path(tmp_path):
    for name in (".", "..", "../x", "/abs/dir", "a/b", ".hidden"):
        res = swellfem_cli("run", str(LAME), "--set", f'name="{name}"', *QUICK, cwd=tmp_path)
        assert res.returncode == 2 and "plain name" in res.stderr, (name, res.stderr)
    assert not list(tmp_path.iterdir())


def test_bad_inputs_at_the_edges(tmp_path):
    fifo = tmp_path / "case.fifo"
    os.mkfifo(fifo)
    for path in (str(fifo), "/dev/zero"):
        res = swellfem_cli("validate", path, timeout=60)
        assert res.returncode == 2 and "not a regular file" in res.stderr, res.stderr
    res = swellfem_cli("mesh", str(LAME), "--export", str(tmp_path / "m.foo"))
    assert res.returncode == 2 and "unknown mesh format" in res.stderr and ".vtu" in res.stderr
    res = swellfem_cli("validate", str(LAME), "--set", 'geometry.layers.1.thickness="3 mm"')
    assert res.returncode == 2 and "cannot be meshed" in res.stderr
    assert swellfem_cli("--version").stdout.startswith("swellfem ")
