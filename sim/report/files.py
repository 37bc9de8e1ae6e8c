"""Writing a report's files: figures as PNG and SVG, tables as CSV and one Excel workbook.

Folders are written atomically: a report appears whole or not at all.
"""

from __future__ import annotations

import os
import platform
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from sim.experiments.folders import (
    check_out,
    replace_folder,
    staged_folder,
    temporary_folder,
)
from sim.experiments.safe_output import inside, safe_cells, safe_name, write_csv
from sim.report.figures import render
from sim.report.html import figure_html

FIGURES = "figures"
TABLES = "tables"
REPORT = "report.html"
WORKBOOK = "tables.xlsx"  # every table of the report, one sheet each, beside the CSVs
_SHEET_NAME_LENGTH = 31  # Excel's limit
PNG_DPI = 144  # sharp on high-density screens; the page scales it down to fit

VERSIONED_PACKAGES = ("leadflow-sim", "simpy", "numpy", "pandas", "scipy", "pydantic",
                      "pyyaml", "matplotlib", "openpyxl")


class ReportFiles:
    """The files of one report folder; every figure and table written through it.

    Attributes:
        root: the report folder.
        written: relative paths of the files written, in order.
        sheets: the tables of the workbook, by sheet name, in order.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.written: list[str] = []
        self.sheets: dict[str, pd.DataFrame] = {}
        (root / FIGURES).mkdir(parents=True, exist_ok=True)
        (root / TABLES).mkdir(parents=True, exist_ok=True)

    def table(self, name: str, df: pd.DataFrame) -> str:
        """Write ``tables/<name>.csv`` and return its relative path."""
        rel = f"{TABLES}/{safe_name(name)}.csv"
        write_csv(df, inside(self.root, rel))
        self.written.append(rel)
        self.sheet(name, df)
        return rel

    def sheet(self, name: str, df: pd.DataFrame) -> None:
        """Add a table to the workbook (every :meth:`table` is added too)."""
        # A text cell starting with "=" would be a formula in the workbook too.
        self.sheets[name[:_SHEET_NAME_LENGTH]] = safe_cells(df)

    def write_workbook(self) -> str | None:
        """Write ``tables/tables.xlsx``: one sheet per table, header row frozen.

        Returns:
            Its relative path, or ``None`` when the report has no table.
        """
        if not self.sheets:
            return None
        rel = f"{TABLES}/{WORKBOOK}"
        with pd.ExcelWriter(self.root / rel, engine="openpyxl") as writer:
            for name, df in self.sheets.items():
                df.to_excel(writer, sheet_name=name, index=False, freeze_panes=(1, 0))
                sheet = writer.sheets[name]
                for i, column in enumerate(df.columns):
                    width = max([len(str(column)), *(len(str(v)) for v in df[column].head(50))])
                    sheet.column_dimensions[_column_letter(i)].width = min(width + 2, 60)
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
            rel = f"{FIGURES}/{safe_name(name)}.{ext}"
            inside(self.root, rel).write_bytes(data)
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


def _column_letter(index: int) -> str:
    """Excel's name of the column at ``index`` (0 -> A, 26 -> AA)."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


@contextmanager
def atomic_folder(out_dir: Path, *, replace: bool = False) -> Iterator[Path]:
    """A temporary folder next to ``out_dir`` that goes into place only if the block succeeds.

    ``out_dir`` must be new, empty or a results folder of this tool
    (:func:`sim.experiments.folders.check_out`); any other folder is refused
    and left alone.

    Args:
        out_dir: the results folder.
        replace: replace ``out_dir`` whole (a new run's folder: nothing of an
            earlier run is left). Otherwise the files and folders the block
            writes are added to ``out_dir``, each replacing the one of the same
            name in one step (a report added to its run's or experiment's folder).

    Raises:
        sim.experiments.folders.FolderError: ``out_dir`` may not be written.
    """
    if replace:
        with staged_folder(out_dir) as tmp:
            yield tmp
        return
    check_out(out_dir, replace=False)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_folder(out_dir)
    try:
        yield tmp
        if out_dir.exists():
            for item in tmp.iterdir():
                target = out_dir / item.name
                if item.is_dir() and target.is_dir():
                    replace_folder(item, target)
                else:
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
