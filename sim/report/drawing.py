"""Drawing one of a report's figures: once, as PNG, and as SVG on request.

Drawing (matplotlib's layout, rasterising, PNG compression) is most of the
time a report takes; :class:`sim.report.files.ReportFiles` draws the figures
of a page together, on idle cores (:mod:`sim.report.forks`), or in a drawer
started before the run (:mod:`sim.report.drawer`). matplotlib is imported
only where a figure is drawn: a command whose figures a drawer draws may
never load it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# A figure, or a function that builds it (then it is built where it is drawn).
FigureSource: TypeAlias = "Figure | Callable[[], Figure]"


@dataclass(frozen=True)
class FigureCall:
    """A function of :mod:`sim.report.figures` and its arguments, to build a figure later.

    Named rather than referenced, so that adding a figure to a report imports
    no plotting library; pickled to the process that draws it.

    Attributes:
        function: the function's name in :mod:`sim.report.figures`.
        args: its positional arguments.
    """

    function: str
    args: tuple[Any, ...] = ()

    def __call__(self) -> Figure:
        """Build the figure."""
        figures = importlib.import_module("sim.report.figures")
        built: Figure = getattr(figures, self.function)(*self.args)
        return built


def figure_call(function: str, *args: Any) -> FigureCall:
    """:class:`FigureCall` of ``function`` (a name in :mod:`sim.report.figures`) with ``args``."""
    return FigureCall(function, args)


@dataclass(frozen=True)
class Drawn:
    """One figure, drawn.

    Attributes:
        png: the PNG bytes.
        svg: the SVG bytes, if asked for.
        width_px: the figure's width in CSS pixels (96 per inch, at its own size).
    """

    png: bytes
    svg: bytes | None
    width_px: int


def draw(source: FigureSource, *, dpi: int, png_compression: int, svg: bool) -> Drawn:
    """Build (if need be) and draw one figure.

    Args:
        source: the figure, or a function returning it.
        dpi: the PNG's resolution.
        png_compression: zlib level of the PNG, 0 (none) to 9 (smallest, slowest).
        svg: also draw it as SVG.
    """
    from matplotlib.figure import Figure

    from sim.report.figures import render

    fig = source if isinstance(source, Figure) else source()
    png = render(fig, "png", dpi=dpi, png_compression=png_compression)
    svg_bytes = None
    if svg:
        # The layout was solved in inches on the first draw; keep it for the SVG
        # instead of solving it again (a third of the drawing time).
        fig.set_layout_engine("none")
        svg_bytes = render(fig, "svg")
    return Drawn(png, svg_bytes, round(fig.get_figwidth() * 96))


def warm_up() -> None:
    """Load what drawing a figure needs (matplotlib, the fonts), drawing nothing kept.

    A drawer does this while the command still runs, so its first figure
    starts at once; the figures drawn after are the same bytes.
    """
    from sim.report.figures import new_figure, render, styled

    @styled
    def sample() -> Figure:
        fig, axes = new_figure(2.0, 1.5)
        axes[0, 0].set_title("Title")
        axes[0, 0].plot([0, 1], [0, 1], label="line")
        axes[0, 0].legend()
        return fig

    render(sample(), "png", dpi=20, png_compression=1)
