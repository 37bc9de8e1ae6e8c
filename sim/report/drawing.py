"""Drawing one of a report's figures: once, as PNG, and as SVG on request.

Drawing (matplotlib's layout, rasterising, PNG compression) is most of the
time a report takes; :class:`sim.report.files.ReportFiles` draws the figures
of a page together, on idle cores (:mod:`sim.report.forks`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from matplotlib.figure import Figure

from sim.report.figures import render

# A figure, or a function that builds it (then it is built where it is drawn).
FigureSource = Figure | Callable[[], Figure]


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
    fig = source if isinstance(source, Figure) else source()
    png = render(fig, "png", dpi=dpi, png_compression=png_compression)
    svg_bytes = None
    if svg:
        # The layout was solved in inches on the first draw; keep it for the SVG
        # instead of solving it again (a third of the drawing time).
        fig.set_layout_engine("none")
        svg_bytes = render(fig, "svg")
    return Drawn(png, svg_bytes, round(fig.get_figwidth() * 96))
