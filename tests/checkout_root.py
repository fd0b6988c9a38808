"""A pytest plugin (loaded by pyproject's addopts): the checkout's root is the citewatch
package itself, with an __init__.py, so pytest would collect it as a test package and
import that __init__.py under the checkout directory's name, which fails when the name is
not a Python identifier (a clone in `citewatch-ci/`). The root is collected as a plain
directory instead; the tests import the installed citewatch."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.hookimpl(tryfirst=True)
def pytest_collect_directory(path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if path.resolve() == ROOT:
        return pytest.Dir.from_parent(parent, path=path)
    return None
