"""Import structure and start-up time: this tree, and optionally an older one, side by side.

Three measurements, each taken on every tree in the same run so that the
machine's load affects both alike:

1. **Import depth.** The longest chain of imports inside the ``sim`` package,
   read statically with :mod:`ast` from each module's top level (imports inside
   functions and under ``if TYPE_CHECKING:`` are left out: they do not run when
   the module is imported). Importing ``sim.a.b`` also runs ``sim/a/__init__.py``,
   so a package's ``__init__`` counts as a step of the chain too (except for the
   modules inside that package, which it always precedes).
2. **What an import loads.** In a fresh interpreter, ``import X`` for the pure
   mechanisms, the experiment store and the command line: how many ``sim``
   modules and which heavy third-party packages end up in ``sys.modules``.
3. **Start-up.** Wall time of ``run.py --help`` and ``run.py validate
   scenarios/baseline.yaml`` as fresh processes, the median of ``--repeats``
   runs, the trees taken in turn within each round.

An older tree (``--before DIR``, a checkout with ``run.py`` and ``sim/``) runs with
the same interpreter and ``PYTHONPATH=DIR``; a module that tree does not have
under its layered name is looked up under its old flat name (``sim.model.mechanisms``
was ``sim.mechanisms``). Without ``--before`` only this tree's numbers are printed::

    .venv/bin/python benchmarks/imports.py [--before /path/to/old/checkout] [--repeats 5]
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE = "sim"
PROBED_MODULES = ("sim.model.mechanisms", "sim.experiments.store", "sim.apps.cli")
HEAVY = ("numpy", "pandas", "scipy", "matplotlib", "simpy", "pydantic", "yaml", "dask",
         "distributed", "streamlit", "altair", "tqdm")
COMMANDS = {"run.py --help": ["--help"],
            "run.py validate": ["validate", "scenarios/baseline.yaml"]}


# --- 1. static import graph ------------------------------------------------------------


def module_files(root: Path) -> dict[str, Path]:
    """Every module of the package under ``root``, by dotted name."""
    modules = {}
    for path in sorted((root / PACKAGE).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def top_level_imports(body: Sequence[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """Import statements that run when the module is imported (not in functions)."""
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                yield from top_level_imports(node.body)
            yield from top_level_imports(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody,
                          *(handler.body for handler in node.handlers)):
                yield from top_level_imports(block)
        elif isinstance(node, ast.With | ast.ClassDef):  # their bodies run at import time
            yield from top_level_imports(node.body)


def _with_parents(name: str, modules: dict[str, Path]) -> list[str]:
    """``name`` and the packages above it that the import runs (``sim.a.b``: ``sim.a``)."""
    parts = name.split(".")
    return [".".join(parts[:k]) for k in range(2, len(parts) + 1)
            if ".".join(parts[:k]) in modules]


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the package modules its top level imports."""
    modules = module_files(root)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        targets: set[str] = set()
        for node in top_level_imports(ast.parse(path.read_text(), str(path)).body):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:
                    here = name.split(".") if is_package else name.split(".")[:-1]
                    anchor = here[: len(here) - (node.level - 1)]
                    base = ".".join([*anchor, base] if base else anchor)
                # `from pkg import mod` imports the module pkg.mod when there is one.
                names = [base] + [f"{base}.{alias.name}" for alias in node.names
                                  if f"{base}.{alias.name}" in modules]
            for target in names:
                if target.split(".")[0] == PACKAGE:
                    targets.update(_with_parents(target, modules))
        # A module's own packages were imported before it: no step of a chain.
        graph[name] = targets - {name, *_with_parents(name, modules)}
    return graph


def longest_chain(graph: dict[str, set[str]]) -> list[str]:
    """The longest chain of imports (an edge that closes a cycle is not followed)."""
    best: dict[str, list[str]] = {}
    on_path: set[str] = set()

    def chain_from(module: str) -> list[str]:
        if module in best:
            return best[module]
        on_path.add(module)
        longest: list[str] = []
        for target in sorted(graph.get(module, ())):
            if target not in on_path:
                candidate = chain_from(target)
                if len(candidate) > len(longest):
                    longest = candidate
        on_path.discard(module)
        best[module] = [module, *longest]
        return best[module]

    return max((chain_from(m) for m in sorted(graph)), key=len, default=[])


# --- 2. and 3. fresh processes -----------------------------------------------------------


@dataclass
class Tree:
    """A checkout to measure: its folder and the environment its processes get."""

    label: str
    root: Path
    env: dict[str, str] = field(default_factory=dict)

    def module_name(self, name: str) -> str:
        """``name`` in this tree: the layered name, else the old flat one."""
        modules = module_files(self.root)
        if name in modules:
            return name
        flat = f"{PACKAGE}.{name.rsplit('.', 1)[-1]}"
        if flat in modules:
            return flat
        raise SystemExit(f"{self.root}: has neither {name} nor {flat}")

    def run(self, args: Sequence[str]) -> subprocess.CompletedProcess[str]:
        """Run the interpreter on ``args`` in this tree's folder."""
        return subprocess.run([sys.executable, *args], cwd=self.root, env=self.env,
                              capture_output=True, text=True, check=False)


_PROBE = """
import json, sys
import {module}
loaded = sorted(sys.modules)
print(json.dumps({{
    "sim": [m for m in loaded if m == "sim" or m.startswith("sim.")],
    "heavy": sorted({{m.split(".")[0] for m in loaded}} & set({heavy!r})),
}}))
"""


def loaded_by(tree: Tree, module: str) -> dict[str, list[str]]:
    """The ``sim`` modules and heavy packages in ``sys.modules`` after ``import module``."""
    done = tree.run(["-c", _PROBE.format(module=module, heavy=HEAVY)])
    if done.returncode != 0:
        raise SystemExit(f"{tree.label}: import {module} failed:\n{done.stderr.strip()}")
    result: dict[str, list[str]] = json.loads(done.stdout)
    return result


def start_up_times(trees: Sequence[Tree], repeats: int) -> dict[tuple[str, str], float]:
    """Median wall time of each command in each tree, the trees taken in turn."""
    times: dict[tuple[str, str], list[float]] = {}
    for _ in range(repeats):
        for tree in trees:
            for label, args in COMMANDS.items():
                started = time.perf_counter()
                done = tree.run(["run.py", *args])
                elapsed = time.perf_counter() - started
                if done.returncode != 0:
                    raise SystemExit(f"{tree.label}: run.py {' '.join(args)} failed:\n"
                                     f"{done.stderr.strip()}")
                times.setdefault((tree.label, label), []).append(elapsed)
    return {key: statistics.median(values) for key, values in times.items()}


# --- the table ---------------------------------------------------------------------------


def _ratio(now: float, before: float) -> str:
    return f"{now / before:.2f}" if before else "-"


def table(rows: list[tuple[str, list[str]]], with_before: bool) -> str:
    """Rows of (what, values) as aligned text, ratio now / before last."""
    head = ["", "before", "now", "now/before"] if with_before else ["", "now"]
    cells = [head, *([what, *values] for what, values in rows)]
    widths = [max(len(row[k]) for row in cells) for k in range(len(head))]
    lines = ["  ".join(cell.ljust(w) if k == 0 else cell.rjust(w)
                       for k, (cell, w) in enumerate(zip(row, widths, strict=True)))
             for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def measure(trees: Sequence[Tree], repeats: int) -> tuple[list[tuple[str, list[str]]], list[str]]:
    """Every measurement as table rows (a value per tree, then the ratio) and notes."""
    pair = len(trees) == 2
    rows: list[tuple[str, list[str]]] = []

    def add(what: str, values: Sequence[float], shown: Sequence[str]) -> None:
        rows.append((what, [*shown, _ratio(values[1], values[0])] if pair else list(shown)))

    chains = [longest_chain(import_graph(tree.root)) for tree in trees]
    add("import depth (modules in the longest chain)", [len(c) for c in chains],
        [str(len(c)) for c in chains])
    heavies: list[tuple[str, Tree, list[str]]] = []
    for name in PROBED_MODULES:
        loads = [loaded_by(tree, tree.module_name(name)) for tree in trees]
        heavies += [(name, tree, x["heavy"]) for tree, x in zip(trees, loads, strict=True)]
        add(f"import {name}: sim modules", [len(x["sim"]) for x in loads],
            [str(len(x["sim"])) for x in loads])
        add(f"import {name}: heavy packages", [len(x["heavy"]) for x in loads],
            [str(len(x["heavy"])) for x in loads])
    times = start_up_times(trees, repeats)
    for label in COMMANDS:
        seconds = [times[(tree.label, label)] for tree in trees]
        add(f"{label} (s, median of {repeats})", seconds, [f"{s:.2f}" for s in seconds])
    notes = [f"longest chain, {tree.label}: " + " -> ".join(chain)
             for tree, chain in zip(trees, chains, strict=True)]
    notes += [f"heavy packages of import {name}, {tree.label}: " + (", ".join(heavy) or "none")
              for name, tree, heavy in heavies]
    return rows, notes


def main(argv: Sequence[str] | None = None) -> int:
    """Measure, print the table; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, metavar="DIR",
                        help="an older checkout (with run.py and sim/) to compare with")
    parser.add_argument("--repeats", type=int, default=5,
                        help="runs of each command; the median counts (default 5)")
    args = parser.parse_args(argv)
    here = Path(__file__).resolve().parents[1]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    trees = [Tree("now", here, env)]
    if args.before is not None:
        before = args.before.resolve()
        if not (before / "run.py").is_file() or not (before / PACKAGE).is_dir():
            parser.error(f"--before {before}: expected a checkout with run.py and {PACKAGE}/")
        trees.insert(0, Tree("before", before, {**env, "PYTHONPATH": str(before)}))
    print(f"Python {sys.version.split()[0]} ({sys.executable})")
    rows, notes = measure(trees, args.repeats)
    print(table(rows, with_before=len(trees) == 2))
    print()
    print("\n".join(notes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
