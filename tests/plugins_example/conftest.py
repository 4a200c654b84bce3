"""The example plugin package, installed for real into a throwaway virtual environment."""

from __future__ import annotations

import importlib.util
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest
from example_support import EXAMPLE, clean_env


@pytest.fixture(scope="module")
def example_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A python whose environment has rowport (this one's) and the example installed.

    The throwaway venv sees this environment's site-packages through a ``.pth`` file (a venv
    made from this interpreter would otherwise see only the base interpreter's packages), so
    the example installs with ``--no-deps`` and nothing else is installed twice.
    """
    root = tmp_path_factory.mktemp("example")
    venv = root / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60
    )
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    ours = [p for p in site.getsitepackages() if Path(p).is_dir()]
    (Path(purelib) / "_outer_env.pth").write_text(
        "".join(f"import site; site.addsitedir({p!r})\n" for p in ours), encoding="utf-8"
    )
    source = root / "src"
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    command = [str(python), "-m", "pip", "install", "--no-deps", "--no-input", "-q", str(source)]
    if importlib.util.find_spec("hatchling") is not None:
        command.insert(-1, "--no-build-isolation")  # offline: the backend is already here
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=180, env=clean_env(), cwd=root
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return python
