"""Writing a report's files: figures as PNG and SVG, tables as CSV, folders atomically."""

from __future__ import annotations

import os
import platform
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from sim.report.figures import render
from sim.report.html import figure_html

FIGURES = "figures"
TABLES = "tables"
REPORT = "report.html"
PNG_DPI = 144  # sharp on high-density screens; the page scales it down to fit

VERSIONED_PACKAGES = ("leadflow-sim", "simpy", "numpy", "pandas", "scipy", "pydantic",
                      "pyyaml", "matplotlib")


class ReportFiles:
    """The files of one report folder; every figure and table written through it.

    Attributes:
        root: the report folder.
        written: relative paths of the files written, in order.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.written: list[str] = []
        (root / FIGURES).mkdir(parents=True, exist_ok=True)
        (root / TABLES).mkdir(parents=True, exist_ok=True)

    def table(self, name: str, df: pd.DataFrame) -> str:
        """Write ``tables/<name>.csv`` and return its relative path."""
        rel = f"{TABLES}/{name}.csv"
        df.to_csv(self.root / rel, index=False)
        self.written.append(rel)
        return rel

    def figure(self, name: str, fig: Figure, caption: str, csv: str | None = None) -> str:
        """Write ``figures/<name>.png`` and ``.svg``; return the figure's HTML block.

        Args:
            name: file name without extension.
            fig: the figure (closed after writing; nothing keeps it alive).
            caption: what it shows, in plain words.
            csv: relative path of the table behind it, linked in the caption.
        """
        png = render(fig, "png", dpi=PNG_DPI)
        # The layout is solved in inches on the first draw; keep it for the SVG
        # instead of solving it again (a third of the drawing time).
        fig.set_layout_engine("none")
        svg = render(fig, "svg")
        width_px = round(fig.get_figwidth() * 96)  # CSS pixels at the figure's own size
        links = {}
        for ext, data in (("png", png), ("svg", svg)):
            rel = f"{FIGURES}/{name}.{ext}"
            (self.root / rel).write_bytes(data)
            self.written.append(rel)
            links[ext.upper()] = rel
        if csv:
            links["CSV"] = csv
        return figure_html(name, png, caption, width_px, links)

    def write_html(self, text: str) -> Path:
        """Write ``report.html`` and return its path."""
        path = self.root / REPORT
        path.write_text(text, encoding="utf-8")
        self.written.append(REPORT)
        return path


@contextmanager
def atomic_folder(out_dir: Path) -> Iterator[Path]:
    """A temporary folder next to ``out_dir`` that replaces it only if the block succeeds.

    Files in an existing ``out_dir`` that the block does not write are kept
    (a report can be added to a run's folder); on error nothing is left behind.
    """
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        yield tmp
        if out_dir.exists():
            for item in tmp.iterdir():
                target = out_dir / item.name
                if item.is_dir() and target.is_dir():
                    shutil.rmtree(target)
                os.replace(item, target)
            tmp.rmdir()
        else:
            os.replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def environment() -> dict[str, str | None]:
    """Python and package versions, for the report's reproducibility section."""
    out: dict[str, str | None] = {"python": platform.python_version()}
    for pkg in VERSIONED_PACKAGES:
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = None
    return out
