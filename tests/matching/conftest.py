"""Tests of the pure `matching` library: no app, no database (the fixtures of tests/conftest.py are lazy).

This folder is called `matching` like the package it tests and has no __init__.py (as the other test folders).
When pytest runs as `.venv/bin/pytest` the repository root is not on sys.path but tests/ is (prepended
for tests/conftest.py), so `import matching` finds tests/matching as an empty namespace package before the
editable install's finder is asked. Load the real package from the repository instead; with
`python -m pytest` (the root on sys.path) it is already the real one and nothing happens.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "matching"

if getattr(sys.modules.get("matching"), "__file__", None) is None:
    sys.modules.pop("matching", None)
    _spec = importlib.util.spec_from_file_location("matching", PACKAGE / "__init__.py",
                                                   submodule_search_locations=[str(PACKAGE)])
    _module = importlib.util.module_from_spec(_spec)
    sys.modules["matching"] = _module
    _spec.loader.exec_module(_module)
