"""Writing a report's files: figures as PNG (SVG on request), tables as CSV and a workbook.

Figures are drawn once: :meth:`ReportFiles.figure` returns a placeholder for
the page and :meth:`ReportFiles.write_html` draws every figure and writes the
workbook (on idle cores, :mod:`sim.report.forks`) and puts each figure in its
place; with a drawer started before the run (:mod:`sim.report.drawer`), each
figure is sent to it as it is added, and drawn while the page is written.
Folders are written atomically: a report appears whole or not at all.
"""

from __future__ import annotations

import functools
import io
import os
import platform
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from importlib import metadata
from pathlib import Path

import pandas as pd

from sim.experiments.folders import (
    check_out,
    replace_folder,
    staged_folder,
    temporary_folder,
)
from sim.experiments.safe_output import inside, safe_cells, safe_name, write_csv
from sim.report.drawer import Drawer
from sim.report.drawing import Drawn, FigureSource, draw, warm_up
from sim.report.forks import fork_map, fork_workers
from sim.report.html import figure_html

FIGURES = "figures"
TABLES = "tables"
REPORT = "report.html"
WORKBOOK = "tables.xlsx"  # every table of the report, one sheet each, beside the CSVs
_SHEET_NAME_LENGTH = 31  # Excel's limit
PNG_DPI = 144  # sharp on high-density screens; the page scales it down to fit
# zlib level 1: files 15% larger than at level 6, 0.25-0.35 s less for a run's nine figures.
PNG_COMPRESSION = 1
# Jobs (figures, the workbook) each process must have for a fork to be worth it: a fork
# and its answer cost ~10 ms here, a figure 0.1-0.3 s (benchmarks/report_time.py --drawing).
MIN_JOBS_PER_WORKER = 2

VERSIONED_PACKAGES = ("leadflow-sim", "simpy", "numpy", "pandas", "scipy", "pydantic",
                      "pyyaml", "matplotlib", "openpyxl")


@dataclass(frozen=True)
class _Figure:
    """A figure waiting to be drawn, and what its HTML block says about it."""

    name: str
    source: FigureSource
    caption: str
    csv: str | None


class ReportFiles:
    """The files of one report folder; every figure and table written through it.

    Attributes:
        root: the report folder.
        svg: figures are also written as SVG (text kept as text; on request,
            as drawing them costs about a third more).
        workers: processes drawing the figures; ``None`` chooses from the idle
            cores (:func:`sim.report.forks.fork_workers`).
        drawer: a drawing process started earlier (:mod:`sim.report.drawer`),
            warm: :meth:`figure` sends it each figure as it is added, and
            :meth:`finish` the workbook (``workers`` then unused).
        written: relative paths of the files written, in order.
        sheets: the tables of the workbook, by sheet name, in order.
    """

    def __init__(self, root: Path, *, svg: bool = False, workers: int | None = None,
                 drawer: Drawer | None = None) -> None:
        self.root = root
        self.svg = svg
        self.workers = workers
        self.drawer = drawer
        self._sent = 0  # figures sent to the drawer (as they are added)
        self.written: list[str] = []
        self.sheets: dict[str, pd.DataFrame] = {}
        self._figures: list[_Figure] = []
        self._blocks: dict[str, str] = {}  # placeholder -> HTML block of each figure drawn
        self._workbook = False  # asked for and not yet written
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
        """Ask for ``tables/tables.xlsx``: one sheet per table, header row frozen.

        It is written with the page (:meth:`write_html`, or :meth:`finish`),
        while the figures are drawn, from the tables added by then.

        Returns:
            Its relative path, or ``None`` when the report has no table.
        """
        if not self.sheets:
            return None
        self._workbook = True
        return f"{TABLES}/{WORKBOOK}"

    def figure(self, name: str, fig: FigureSource, caption: str, csv: str | None = None) -> str:
        """Add ``figures/<name>.png`` (and ``.svg``); return the figure's place in the page.

        The figure is drawn by :meth:`write_html`, which puts its HTML block in
        that place; with a drawer, it is sent to be drawn now.

        Args:
            name: file name without extension.
            fig: the figure, or a function that builds it (then it is built
                where it is drawn, possibly in another process).
            caption: what it shows, in plain words.
            csv: relative path of the table behind it, linked in the caption.
        """
        self._figures.append(_Figure(name, fig, caption, csv))
        if self.drawer is not None:  # it draws each figure as it comes
            self.start()
        return _placeholder(len(self._figures) - 1)

    def _job(self, source: FigureSource) -> Callable[[], Drawn]:
        return partial(draw, source, dpi=PNG_DPI, png_compression=PNG_COMPRESSION,
                       svg=self.svg)

    def start(self) -> None:
        """Send the figures not sent yet to the drawer, if there is one, to be drawn now.

        :meth:`figure` calls it for each figure, so the drawer draws while the
        page is written; :meth:`finish` sends the workbook last.
        """
        if self.drawer is None or self._blocks or self._sent == len(self._figures):
            return
        if self.drawer.send([self._job(item.source) for item in self._figures[self._sent:]]):
            self._sent = len(self._figures)
        else:  # gone, or a figure that cannot travel: every figure is drawn here
            self.drawer.stop()
            self.drawer = None

    def finish(self) -> dict[str, str]:
        """Draw every figure added since the last call, write its files and the workbook.

        :meth:`write_html` calls it; call it alone for a folder without a page.

        Returns:
            Placeholder -> the figure's HTML block, for every figure drawn so far.
        """
        first = len(self._blocks)
        pending = self._figures[first:]
        jobs: list[Callable[[], Drawn | bytes]] = [self._job(item.source) for item in pending]
        if self._workbook:
            # Last: the figures already sent come first, in the drawer too.
            jobs.append(partial(workbook_bytes, dict(self.sheets)))
        self.start()
        answers: list[Drawn | bytes]
        if (self.drawer is not None and first == 0
                and self.drawer.send(jobs[self._sent:])):
            answers = self.drawer.collect(jobs)
        else:
            if self.drawer is not None:  # gone, or a job that cannot travel
                self.drawer.stop()
            workers = (fork_workers(len(jobs), MIN_JOBS_PER_WORKER) if self.workers is None
                       else self.workers)
            if workers > 1 and pending:
                warm_up()  # once, here: the forks inherit matplotlib loaded
            answers = fork_map(jobs, workers)
        self.drawer = None  # its jobs are answered; later figures are drawn as above
        self._sent = 0
        if self._workbook:
            workbook = answers.pop()
            assert isinstance(workbook, bytes)
            rel = f"{TABLES}/{WORKBOOK}"
            (self.root / rel).write_bytes(workbook)
            self.written.append(rel)
            self._workbook = False
        for index, (item, picture) in enumerate(zip(pending, answers, strict=True),
                                                start=first):
            assert isinstance(picture, Drawn)
            links = {}
            for ext, data in (("png", picture.png), ("svg", picture.svg)):
                if data is None:
                    continue
                rel = f"{FIGURES}/{safe_name(item.name)}.{ext}"
                inside(self.root, rel).write_bytes(data)
                self.written.append(rel)
                links[ext.upper()] = rel
            if item.csv:
                links["CSV"] = item.csv
            self._blocks[_placeholder(index)] = figure_html(
                item.name, picture.png, item.caption, picture.width_px, links)
        return self._blocks

    def write_html(self, text: str) -> Path:
        """Draw the figures, put them in their places in ``text``, write ``report.html``.

        Returns:
            Its path.
        """
        blocks = self.finish()
        if blocks:
            text = _PLACEHOLDER.sub(lambda m: blocks[m.group(0)], text)
        path = self.root / REPORT
        path.write_text(text, encoding="utf-8")
        self.written.append(REPORT)
        return path


# An HTML comment: no text of a report can produce it, as every text is escaped.
_PLACEHOLDER = re.compile(r"<!--leadflow-figure-\d+-->")


def _placeholder(index: int) -> str:
    return f"<!--leadflow-figure-{index}-->"


def workbook_bytes(sheets: dict[str, pd.DataFrame]) -> bytes:
    """The workbook of ``sheets`` (name -> table), as the bytes of an ``.xlsx`` file.

    A function of the tables alone, so that another process can write it.
    """
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, df in sheets.items():
            df.to_excel(writer, sheet_name=name, index=False, freeze_panes=(1, 0))
            sheet = writer.sheets[name]
            for i, column in enumerate(df.columns):
                width = max([len(str(column)), *(len(str(v)) for v in df[column].head(50))])
                sheet.column_dimensions[_column_letter(i)].width = min(width + 2, 60)
    return buffer.getvalue()


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
    return {"python": platform.python_version(),
            **{pkg: installed_version(pkg) for pkg in VERSIONED_PACKAGES}}


@functools.cache
def installed_version(package: str) -> str | None:
    """The installed version of ``package``, or ``None``.

    Looked up once: each lookup reads the installed packages' metadata.
    """
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None
