"""scripts/check-system, run by `make run`, `make test` and .ci/run before anything else: on a
fresh Debian/Ubuntu machine it installs the missing system packages as root, or stops at once
with the exact command. Fake dpkg-query, id and apt-get stand in for the real machine."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from district_portal.config import ROOT

SCRIPT = ROOT / "scripts" / "check-system"
BASH = shutil.which("bash") or "/bin/bash"
pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


def _fake_bin(tmp_path: Path, uid: int, installed: set[str]) -> Path:
    """A bin folder whose dpkg-query knows only `installed`, whose id says `uid`, and whose
    apt-get writes its arguments to apt.log."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    known = " ".join(sorted(installed) or ["none"])
    scripts = {
        "dpkg-query": f"#!/bin/sh\nfor p in {known}; do [ \"$p\" = \"$3\" ] && "
                      "{ printf 'install ok installed'; exit 0; }; done\nexit 1\n",
        "id": f"#!/bin/sh\necho {uid}\n",
        "apt-get": f"#!/bin/sh\necho \"$@\" >> {tmp_path / 'apt.log'}\n",
    }
    for name, body in scripts.items():
        (bin_dir / name).write_text(body)
        (bin_dir / name).chmod(0o755)
    # The real tools the script itself uses; nothing else (no pkg-config, g++ or pdftotext,
    # which therefore count as missing).
    for tool in ("grep", "sh"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    return bin_dir


def _env(bin_dir: Path) -> dict:
    return {"PATH": str(bin_dir), "PYTHON": sys.executable}


def _run(tmp_path: Path, level: str, uid: int, installed: set[str]):
    bin_dir = _fake_bin(tmp_path, uid, installed)
    return subprocess.run([BASH, str(SCRIPT), level], capture_output=True, text=True,
                          env=_env(bin_dir), timeout=60)


def test_a_user_without_root_is_stopped_at_once_with_the_command_to_run(tmp_path):
    result = _run(tmp_path, "run", uid=1000, installed={"libicu-dev"})
    assert result.returncode == 1
    assert "sudo apt-get install -y pkg-config g++ libpango-1.0-0 libpangoft2-1.0-0 " \
           "fonts-dejavu-core" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "apt.log").exists()


def test_root_gets_the_missing_packages_installed(tmp_path):
    result = _run(tmp_path, "test", uid=0, installed={"libicu-dev", "libpango-1.0-0",
                                                       "libpangoft2-1.0-0", "fonts-dejavu-core"})
    assert result.returncode == 0, result.stderr
    calls = (tmp_path / "apt.log").read_text().splitlines()
    assert calls[0].startswith("update")
    assert calls[1].startswith("install -y")
    assert {"pkg-config", "g++", "poppler-utils"} <= set(calls[1].split())
    assert "libpango" not in calls[1] and "libicu" not in calls[1]


def test_nothing_happens_when_everything_is_there(tmp_path):
    everything = {"libicu-dev", "libpango-1.0-0", "libpangoft2-1.0-0", "fonts-dejavu-core"}
    bin_dir = _fake_bin(tmp_path, 1000, everything)
    for tool in ("pkg-config", "g++"):
        (bin_dir / tool).write_text("#!/bin/sh\nexit 0\n")
        (bin_dir / tool).chmod(0o755)
    result = subprocess.run([BASH, str(SCRIPT), "run"], capture_output=True, text=True,
                            timeout=60, env=_env(bin_dir))
    assert result.returncode == 0, result.stderr
    assert result.stderr == "" and not (tmp_path / "apt.log").exists()


def test_an_unknown_level_is_a_usage_error(tmp_path):
    result = _run(tmp_path, "deploy", uid=1000, installed=set())
    assert result.returncode == 2 and "usage" in result.stderr
