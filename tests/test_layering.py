"""The architecture, checked: every import edge of every module respects the floor order.

Floors, lowest first (a module may import only from its own floor or below):
    runtime (runtime.py, checks.py, files.py) < data < augment < losses < models < methods
    < evaluation < training < zoo < viz < apps (and __main__.py)
The package root's two public entry points sit on the floor of what they re-export:
train.py on training's, evaluate.py on evaluation's.
Evaluation sits below training because fit's per-epoch monitor measures kNN accuracy and
collapse statistics with it, while evaluation needs nothing from training.
Every import counts, also one inside a function: a lazy import is still an edge.
"""
import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
LIB = ROOT / "mmcl_lite"
FLOORS = ["runtime", "data", "augment", "losses", "models", "methods", "evaluation", "training",
          "zoo", "viz", "apps"]
ROOT_MODULES = {"runtime": "runtime", "checks": "runtime", "files": "runtime", "train": "training",
                "evaluate": "evaluation", "__main__": "apps", "__init__": "runtime"}
PLOTTING = ("matplotlib", "ipywidgets", "IPython", "ipympl", "umap")


def _module_name(path: pathlib.Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: pathlib.Path, name: str | None = None):
    """Absolute names of everything ``path`` (the module ``name``) imports, relative imports
    resolved."""
    name = _module_name(path) if name is None else name
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            yield mod
            for a in node.names:  # "from . import ops" imports the module ops
                yield f"{mod}.{a.name}"
        elif isinstance(node, ast.Import):
            for a in node.names:
                yield a.name


def _floor(module: str):
    """The floor of an mmcl_lite module, or None for a module outside the package."""
    parts = module.split(".")
    if parts[0] != "mmcl_lite":
        return None
    if len(parts) == 1:
        return FLOORS.index("runtime")
    if parts[1] in FLOORS:
        return FLOORS.index(parts[1])
    if parts[1] == "__version__":  # a name of the package itself
        return FLOORS.index("runtime")
    if parts[1] in ROOT_MODULES:
        return FLOORS.index(ROOT_MODULES[parts[1]])
    raise AssertionError(f"{module}: not on any floor; add it to the layering test's map")


MODULES = sorted(LIB.rglob("*.py"))


def test_every_module_is_on_a_floor():
    assert len(MODULES) > 40
    for path in MODULES:
        assert _floor(_module_name(path)) is not None, path


def floor_violations(path, name: str) -> list:
    """The imports of ``path`` (module ``name``) that break the floor order or that plot
    below viz."""
    floor, bad = _floor(name), []
    for imported in _imports(path, name):
        target = _floor(imported) if imported.split(".")[0] == "mmcl_lite" else None
        if target is not None and target > floor:
            bad.append(f"{name} (floor {FLOORS[floor]}) imports {imported} "
                       f"(floor {FLOORS[target]})")
        if floor < FLOORS.index("viz") and imported.split(".")[0] in PLOTTING:
            bad.append(f"{name} imports {imported}")
    return bad


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(LIB)))
def test_imports_respect_the_floor_order(path):
    assert floor_violations(path, _module_name(path)) == []


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(LIB)))
def test_methods_know_no_dataset_and_evaluation_no_method(path):
    name = _module_name(path)
    imported = list(_imports(path))
    if name.startswith("mmcl_lite.methods"):
        assert not [m for m in imported if m.startswith("mmcl_lite.data")], name
        # a method imports no other method: of its own package, only the shared bases
        # (methods.base, and its group's common module)
        group = f"mmcl_lite.methods.{path.parent.name}"
        if path.name not in ("__init__.py", "common.py") and path.parent.name in (
                "image", "multimodal", "series"):
            others = [m for m in imported if m.startswith("mmcl_lite.methods")
                      and not m.startswith(("mmcl_lite.methods.base", f"{group}.common"))]
            assert not others, (name, others)
    if name.startswith("mmcl_lite.evaluation"):
        assert not [m for m in imported if m.startswith("mmcl_lite.methods")], name
    if name.startswith("mmcl_lite.losses"):
        assert not [m for m in imported if _floor(m) is not None
                    and _floor(m) > FLOORS.index("losses")], name


def test_the_checker_sees_a_bad_edge(tmp_path):
    """The check above would notice a violation: a lazy upward import inside a function, and a
    plotting import below viz, in a probe module placed (by name) on the data floor."""
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from ..methods import SimCLR\n    import matplotlib\n")
    # resolve the relative import as if the file were mmcl_lite/data/probe.py
    found = floor_violations(probe, "mmcl_lite.data.probe")
    assert any("imports mmcl_lite.methods" in v for v in found), found
    assert any("imports matplotlib" in v for v in found), found
