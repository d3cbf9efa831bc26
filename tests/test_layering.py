"""No import runs upward: every module of functorch_lite imports only from its own layer or below.

The layers are DESIGN.md's, bottom to top (the README's "Layout" section lists them too).
Every import counts, at module level or inside a function. Run as a script to print the
import graph in words:

    python tests/test_layering.py
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "functorch_lite"

# (rank, layer, module prefixes). A module belongs to the layer of its longest matching prefix.
# Edges (devices, data, datasets, checkpoints) know only jax and numpy, so they sit at the
# bottom beside the core: anything may use them, they may use nothing above them.
LAYERS = [
    (0, "shared validators and settings", ["_checks", "_precision", "_value_checks"]),
    (1, "core ops and pure layers (0-1)", ["functional", "models"]),
    (1, "edges", ["device", "utils", "datasets", "serialization", "accelerator", "backends", "onnx"]),
    (2, "optimizer rules (2)", ["optim.rules", "optim.schedules", "optim.clip"]),
    (3, "tensor + autograd (3)", ["_tensor", "autograd", "random"]),
    (4, "facade (4)", ["nn", "optim"]),
    (5, "transforms (5)", ["func", "compile", "_grad_pack", "parallel"]),
    (5, "vision edge over the facade", ["vision"]),
    (6, "package root (re-exports)", [""]),
]

# Imports that run upward on purpose. Each entry: (importing module, imported module) and why.
ALLOWED_UPWARD = {
    # torch's default_collate gives Tensors: the DataLoader's default output is the facade's
    # type. The import is inside the function, so numpy_collate users never load the Tensor layer.
    ("utils.data.collate", "_tensor.creation"),
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def layer_of(module: str) -> tuple[int, str]:
    best = None
    for rank, name, prefixes in LAYERS:
        for prefix in prefixes:
            if module == prefix or module.startswith(prefix + ".") or prefix == "":
                if best is None or len(prefix) > best[0]:
                    best = (len(prefix), rank, name)
    assert best is not None, module
    return best[1], best[2]


def imports_of(module: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The functorch_lite modules that `module` imports, anywhere in its body."""
    is_package = path.name == "__init__.py"
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [_in_package(alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            source = _in_package(node.module or "") if not node.level else _relative(module, is_package, node)
            # `from package import name` imports the submodule `name` if there is one, else the package.
            targets = (
                [
                    f"{source}.{a.name}".lstrip(".") if f"{source}.{a.name}".lstrip(".") in known else source
                    for a in node.names
                ]
                if source is not None
                else []
            )
        else:
            continue
        found.update(t for t in targets if t is not None and t in known)
    found.discard(module)
    found.discard("")  # the package root: importing any submodule runs it anyway
    return found


def _in_package(name: str) -> str | None:
    """`functorch_lite.x.y` -> `x.y`; None for modules outside the package."""
    if name == "functorch_lite":
        return ""
    return name.removeprefix("functorch_lite.") if name.startswith("functorch_lite.") else None


def _relative(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    base = module.split(".") if module else []
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def upward_imports() -> list[str]:
    known = all_modules()
    problems = []
    for module, path in known.items():
        rank, layer = layer_of(module)
        for target in sorted(imports_of(module, path, known)):
            target_rank, target_layer = layer_of(target)
            if target_rank > rank and (module, target) not in ALLOWED_UPWARD:
                problems.append(f"{module} ({layer}) imports {target} ({target_layer})")
    return problems


def test_every_module_has_a_layer():
    for module in all_modules():
        layer_of(module)


def test_no_import_runs_upward():
    assert upward_imports() == []


def test_allowed_upward_imports_still_exist():
    """An allow-list entry that no longer matches an import is stale: remove it."""
    known = all_modules()
    for module, target in ALLOWED_UPWARD:
        assert target in imports_of(module, known[module], known), (module, target)


def test_the_checker_sees_function_level_and_relative_imports(tmp_path):
    path = tmp_path / "probe.py"
    path.write_text("def f():\n    from ..nn import module\n    from .. import compile\n")
    known = {"nn.module": path, "compile": path, "functional.probe": path}
    assert imports_of("functional.probe", path, known) == {"nn.module", "compile"}


def describe() -> str:
    """The import graph in words: each layer and the layers it imports."""
    known = all_modules()
    graph: dict[tuple[int, str], set[tuple[int, str]]] = defaultdict(set)
    for module, path in known.items():
        source = layer_of(module)
        graph[source]
        for target in imports_of(module, path, known):
            if layer_of(target) != source:
                graph[source].add(layer_of(target))
    lines = []
    for source in sorted(graph):
        targets = ", ".join(name for _, name in sorted(graph[source])) or "nothing in functorch_lite"
        lines.append(f"{source[1]} -> {targets}")
    problems = upward_imports()
    lines.append("upward imports: " + ("; ".join(problems) if problems else "none"))
    lines.append("allowed on purpose: " + "; ".join(f"{m} -> {t}" for m, t in sorted(ALLOWED_UPWARD)))
    return "\n".join(lines)


if __name__ == "__main__":
    print(describe())
    sys.exit(1 if upward_imports() else 0)
