"""The package tree shows the pipeline, and imports only go downwards (import-linter's ``layers``
contract in pyproject.toml): ops → briefing → pipeline → search → enrich → parsing → intake → core."""

from __future__ import annotations

import importlib
import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import worker

ROOT = Path(__file__).resolve().parent.parent


def test_import_layers_contract_is_kept():
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or "lint-imports"
    out = subprocess.run([exe, "--config", str(ROOT / "pyproject.toml")], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "1 kept, 0 broken" in out.stdout


def test_every_stage_package_says_what_it_does_and_may_import():
    stages = [m.name for m in pkgutil.iter_modules(worker.__path__) if m.ispkg]
    assert set(stages) >= {"core", "intake", "parsing", "enrich", "briefing", "ops"}
    for name in stages:
        doc = importlib.import_module(f"worker.{name}").__doc__ or ""
        assert len(doc.strip()) > 40, f"worker.{name} has no docstring"
        assert "import" in doc.lower(), f"worker.{name}'s docstring does not say what it may import"
