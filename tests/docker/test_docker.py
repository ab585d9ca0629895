"""The Docker image: build it (base image from Debian's archive if needed), run a small case
in a container with a bind-mounted output folder, check what it wrote and who owns it.

Needs a Docker engine. Where none runs, the test starts one when it can (as root, with
dockerd installed; in CI or with SWELLFEM_DOCKER_SETUP=1 it first installs Debian's
docker.io and debootstrap). Where that is impossible it is skipped with the reason, never
passed silently.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time

import pytest

from conftest import REPO

pytestmark = pytest.mark.docker
IMAGE = "swellfem:test"


def _ok(cmd: list[str], timeout: float = 60) -> bool:
    try:
        return subprocess.run(cmd, capture_output=True, timeout=timeout).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _may_install() -> bool:
    return os.environ.get("CI") == "true" or os.environ.get("SWELLFEM_DOCKER_SETUP") == "1"


@pytest.fixture(scope="module")
def docker_engine(tmp_path_factory):
    started = None
    if not _ok(["docker", "info"]):
        if os.geteuid() != 0:
            pytest.skip("no Docker engine is running and this user (not root) cannot start one")
        if not shutil.which("dockerd") and _may_install() and shutil.which("apt-get"):
            env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
            subprocess.run(["apt-get", "update", "-qq"], capture_output=True, env=env, timeout=600)
            subprocess.run(["apt-get", "install", "-y", "-qq", "docker.io", "debootstrap"], capture_output=True,
                           env=env, timeout=900)
        if not shutil.which("dockerd"):
            pytest.skip("no Docker engine: dockerd is not installed (apt-get install docker.io; "
                        "CI or SWELLFEM_DOCKER_SETUP=1 lets this test install it)")
        log = open(tmp_path_factory.mktemp("dockerd") / "dockerd.log", "w")
        started = subprocess.Popen(["dockerd", "--iptables=false", "--ip6tables=false", "--bridge=none"],
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 60
        while time.time() < deadline and not _ok(["docker", "info"]):
            time.sleep(1)
        if not _ok(["docker", "info"]):
            started.terminate()
            pytest.skip(f"could not start a Docker engine (dockerd log: {log.name})")
    yield
    if started is not None:
        started.terminate()
        started.wait(timeout=60)


@pytest.fixture(scope="module")
def image(docker_engine):
    if not _ok(["docker", "image", "inspect", "debian:trixie-slim"]):
        if os.geteuid() != 0 or not shutil.which("debootstrap"):
            pytest.skip("base image debian:trixie-slim is missing and cannot be built here (needs root and debootstrap)")
        res = subprocess.run([str(REPO / "docker" / "build-base-image.sh")], capture_output=True, text=True,
                             timeout=1800)
        assert res.returncode == 0, res.stdout + res.stderr
    res = subprocess.run(["docker", "build", "--network", "host", "-f", "docker/Dockerfile", "-t", IMAGE, "."],
                         cwd=REPO, capture_output=True, text=True, timeout=3000)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return IMAGE


def test_container_runs_a_case_into_a_mounted_folder(image, tmp_path):
    # The invoking user: ourselves, or a stand-in non-root user where the tests run as root.
    uid, gid = (os.getuid(), os.getgid()) if os.getuid() != 0 else (4242, 4242)
    work = tmp_path / "work"
    work.mkdir()
    os.chown(work, uid, gid)
    res = subprocess.run(
        ["docker", "run", "--rm", "--network", "none", "-u", f"{uid}:{gid}", "-v", f"{work}:/work", image,
         "run", "/opt/swellfem/cases/verification/lame_3layer.toml", "-o", "/work/out",
         "--set", 'mesh.size="10 nm"', "--set", "stages.soc=[1.0]"],
        capture_output=True, text=True, timeout=600,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    summary_path = work / "out" / "summary.json"
    summary = json.loads(summary_path.read_text())
    assert summary["case"]["name"] == "lame_3layer"
    assert summary["stages"][0]["regions"]["outer"]["hoop_max_MPa"] > 0
    assert (work / "out" / "fields" / "fields.pvd").exists()
    st = summary_path.stat()
    assert (st.st_uid, st.st_gid) == (uid, gid) and st.st_uid != 0


def test_container_reports_bad_input(image, tmp_path):
    res = subprocess.run(["docker", "run", "--rm", "--network", "none", image, "validate", "/opt/swellfem/cases/nope.toml"],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 2 and "no such file" in res.stderr and "Traceback" not in res.stderr
