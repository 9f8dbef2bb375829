"""No package imports a package above it.

Layers, bottom up: the core (``deepexplain`` itself, its methods and the model adapter), then
``deepexplain.metrics``, ``cem`` and ``cxplain``, then the toolbox ``deepexplain.explainable``
(which re-exports ``cem.Counterfactual`` lazily), then the command (``deepexplain.batch``,
``deepexplain.cli``). Checked twice: what a fresh interpreter has loaded after importing each
package, and every import statement of the source (also those inside functions).
"""
import ast
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
ABOVE_METRICS = ("deepexplain.explainable", "deepexplain.batch", "deepexplain.cli", "cem", "cxplain")
ABOVE_CORE = ABOVE_METRICS + ("deepexplain.metrics",)

FORBIDDEN = {
    "core": ABOVE_CORE,
    "deepexplain.metrics": ABOVE_METRICS,
    "cem": ("deepexplain.explainable", "deepexplain.metrics", "deepexplain.batch", "deepexplain.cli", "cxplain"),
    "cxplain": ("deepexplain.explainable", "deepexplain.metrics", "deepexplain.batch", "deepexplain.cli", "cem"),
}

LOADED_CHECK = """
import sys

def check(imported, banned):
    loaded = sorted(m for m in sys.modules if any(m == p or m.startswith(p + ".") for p in banned))
    assert not loaded, (imported, loaded)

import deepexplain
check("deepexplain", {above_core})
import deepexplain.metrics
check("deepexplain.metrics", {above_metrics})
import deepexplain.explainable
check("deepexplain.explainable", ("cem", "cxplain", "deepexplain.batch", "deepexplain.cli"))
from deepexplain.explainable import Counterfactual
import cem
assert Counterfactual is cem.Counterfactual
import cxplain
check("cxplain", ("deepexplain.batch", "deepexplain.cli"))
"""


def test_a_fresh_interpreter_loads_no_package_above_the_one_imported():
    """One interpreter, packages imported bottom up, each checked before the next is imported
    (what one import can load is checked for every import statement below)."""
    code = LOADED_CHECK.format(above_core=ABOVE_CORE, above_metrics=ABOVE_METRICS)
    child = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert child.returncode == 0, child.stderr.strip().splitlines()[-1]


def _imports(path):
    """The absolute names of the modules every import statement of ``path`` imports."""
    package = list(path.relative_to(ROOT).parts[:-1])
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            names += [module] + [f"{module}.{alias.name}" for alias in node.names]
    return names


def _layer(path):
    parts = path.relative_to(ROOT).parts
    if parts[0] in ("cem", "cxplain"):
        return parts[0]
    if parts[1] == "metrics":
        return "deepexplain.metrics"
    if parts[1] in ("explainable", "batch", "cli.py", "keras"):
        return None
    return "core"


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_no_import_statement_reaches_a_package_above(layer):
    offending = []
    for package in ("deepexplain", "cem", "cxplain"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if _layer(path) != layer:
                continue
            for name in _imports(path):
                if any(name == p or name.startswith(p + ".") for p in FORBIDDEN[layer]):
                    offending.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not offending
