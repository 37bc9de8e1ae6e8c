"""A self-contained HTML page: figures embedded as base64 PNG, tables as HTML, inline CSS.

The page needs no network, no JavaScript and no file beside it to be read:
it opens offline in any browser and can be mailed as one file. Links to the
SVG/PNG files and CSV tables next to it are for those who want to dig in.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from sim.report.format import fmt

CSS = """
:root { --ink: #1d2733; --muted: #5b6673; --rule: #d9dee4; --band: #f4f6f8;
        --accent: #0072B2; --good: #009E73; --bad: #D55E00; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", "DejaVu Sans", Roboto, sans-serif;
       color: var(--ink); line-height: 1.5; margin: 0; background: #fff; font-size: 16px; }
main { max-width: 1180px; margin: 0 auto; padding: 1.5rem 1.5rem 4rem; }
header { border-bottom: 3px solid var(--accent); margin-bottom: 1rem; }
h1 { font-size: 1.8rem; margin: 0.2rem 0; }
h2 { font-size: 1.35rem; margin: 2.4rem 0 0.6rem; padding-top: 0.4rem;
     border-top: 1px solid var(--rule); }
h3 { font-size: 1.1rem; margin: 1.4rem 0 0.4rem; }
p.lead { color: var(--muted); margin: 0.2rem 0 0.8rem; }
nav { font-size: 0.92rem; margin: 0.6rem 0 1rem; }
nav a { margin-right: 1rem; white-space: nowrap; }
a { color: var(--accent); }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(230px, 1fr));
         gap: 0.8rem; margin: 1rem 0; }
.card { border: 1px solid var(--rule); border-radius: 8px; padding: 0.7rem 0.9rem;
        background: var(--band); }
.card .label { font-size: 0.85rem; color: var(--muted); text-transform: uppercase;
               letter-spacing: 0.03em; }
.card .value { font-size: 1.65rem; font-weight: 700; margin: 0.1rem 0; }
.card .ci { font-size: 0.88rem; color: var(--muted); }
.summary p { margin: 0.5rem 0; max-width: 62rem; }
.decision { border-left: 6px solid var(--accent); background: var(--band);
            padding: 0.8rem 1.1rem; margin: 1rem 0; border-radius: 0 8px 8px 0; }
.decision .choice { font-size: 1.3rem; font-weight: 700; margin: 0 0 0.4rem; }
.decision .gain { font-size: 1.05rem; margin: 0.2rem 0; }
.decision .certainty { font-size: 0.92rem; color: var(--muted); margin: 0.2rem 0 0; }
.decision.unclear { border-left-color: var(--bad); }
figure { margin: 1rem 0 1.6rem; }
figure img { display: block; width: 100%; height: auto; border: 1px solid var(--rule);
             border-radius: 4px; }
figcaption { font-size: 0.9rem; color: var(--muted); margin-top: 0.35rem; }
table { border-collapse: collapse; font-size: 0.9rem; margin: 0.6rem 0 1.2rem; }
caption { text-align: left; font-weight: 600; padding: 0.2rem 0; color: var(--ink); }
th, td { padding: 0.28rem 0.7rem; border-bottom: 1px solid var(--rule); text-align: left;
         vertical-align: top; }
th { background: var(--band); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.changed td { background: #fff4d6; }
.good { color: var(--good); font-weight: 600; }
.bad { color: var(--bad); font-weight: 600; }
details { margin: 0.6rem 0 1rem; }
summary { cursor: pointer; color: var(--accent); }
pre { background: var(--band); padding: 0.8rem; overflow-x: auto; font-size: 0.82rem;
      border-radius: 4px; }
code { font-size: 0.9em; }
.note { font-size: 0.9rem; color: var(--muted); }
.scroll { overflow-x: auto; }
@media print { nav, details > summary { display: none; } h2 { break-before: page; } }
"""


def esc(text: Any) -> str:
    """Text escaped for HTML."""
    return html.escape(str(text), quote=True)


@dataclass(frozen=True)
class Card:
    """One headline number: a label, the value and its interval, formatted."""

    label: str
    value: str
    detail: str = ""


def cards_html(cards: Sequence[Card]) -> str:
    """Headline numbers as a row of cards."""
    items = "".join(
        f'<div class="card"><div class="label">{esc(c.label)}</div>'
        f'<div class="value">{esc(c.value)}</div><div class="ci">{esc(c.detail)}</div></div>'
        for c in cards
    )
    return f'<div class="cards">{items}</div>'


def decision_html(choice: str, gain: str, certainty: str, clear: bool = True) -> str:
    """The one-pager's box: the decision in one sentence, the gain and its range, how sure.

    Args:
        choice: the decision, one sentence.
        gain: the size of the gain with its 95% range.
        certainty: the probability that the choice is right, or what the range covers.
        clear: whether the data back the choice (else the box is marked as unsettled).
    """
    lines = [f'<p class="choice">{esc(choice)}</p>']
    if gain:
        lines.append(f'<p class="gain">{esc(gain)}</p>')
    if certainty:
        lines.append(f'<p class="certainty">{esc(certainty)}</p>')
    cls = "decision" if clear else "decision unclear"
    return f'<div class="{cls}" id="decision">{"".join(lines)}</div>'


def paragraphs(texts: Sequence[str]) -> str:
    """Plain-text paragraphs (escaped) in a summary block."""
    return '<div class="summary">' + "".join(f"<p>{esc(t)}</p>" for t in texts) + "</div>"


def figure_html(name: str, png: bytes, caption: str, width_px: int,
                links: Mapping[str, str]) -> str:
    """A figure embedded as a base64 PNG, with a caption and links to its files.

    Args:
        name: the figure's name (anchor and ``data-file``).
        png: the PNG bytes to embed.
        caption: what the figure shows, in plain words.
        width_px: the PNG's width in CSS pixels (the image scales down to fit).
        links: link text -> relative path (e.g. ``{"SVG": "figures/funnel.svg"}``).
    """
    data = base64.b64encode(png).decode("ascii")
    files = " · ".join(f'<a href="{esc(path)}">{esc(text)}</a>' for text, path in links.items())
    return (
        f'<figure id="fig-{esc(name)}">'
        f'<img src="data:image/png;base64,{data}" alt="{esc(caption)}" '
        f'data-file="{esc(links.get("PNG", ""))}" style="max-width:{width_px}px">'
        f"<figcaption>{esc(caption)}{' · ' + files if files else ''}</figcaption></figure>"
    )


Formatter = str | Callable[[Any], str]


def table_html(df: pd.DataFrame, formats: Mapping[str, Formatter] | None = None,
               caption: str = "", headers: Mapping[str, str] | None = None,
               row_class: Callable[[pd.Series], str] | None = None,
               csv: str | None = None) -> str:
    """A DataFrame as an HTML table, numbers formatted for people.

    Args:
        df: the rows to show.
        formats: column -> a kind of number for :func:`sim.report.format.fmt`
            (``"money"``, ``"percent"``... or a metric's name) or a function of
            the cell; other columns are shown as text, numbers as plain numbers.
        caption: a title above the table.
        headers: column -> header text (default: the column name).
        row_class: row -> CSS class of the ``<tr>`` (e.g. ``"changed"``).
        csv: relative path of the CSV behind the table, linked in the caption.
    """
    formats = formats or {}
    headers = headers or {}
    head = "".join(f"<th>{esc(headers.get(c, c))}</th>" for c in df.columns)
    body = []
    for _, row in df.iterrows():
        cells = []
        for col in df.columns:
            value = row[col]
            how = formats.get(col)
            if callable(how):
                text, numeric = how(value), True
            elif how is not None:
                text, numeric = fmt(value, how), True
            else:
                text, numeric = _plain(value), isinstance(value, int | float)
            cells.append(f'<td class="num">{esc(text)}</td>' if numeric
                         else f"<td>{esc(text)}</td>")
        cls = row_class(row) if row_class else ""
        body.append(f'<tr class="{cls}">' + "".join(cells) + "</tr>" if cls
                    else "<tr>" + "".join(cells) + "</tr>")
    link = f' <a href="{esc(csv)}">CSV</a>' if csv else ""
    cap = f"<caption>{esc(caption)}{link}</caption>" if caption or csv else ""
    return (f'<div class="scroll"><table>{cap}<thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table></div>")


def _plain(value: Any) -> str:
    if isinstance(value, float):
        return fmt(value, "number")
    if isinstance(value, bool):
        return "yes" if value else ""
    return str(value)


def section(anchor: str, title: str, body: str, intro: str = "") -> str:
    """A titled section with an anchor for the navigation bar."""
    lead = f'<p class="lead">{esc(intro)}</p>' if intro else ""
    return f'<section id="{esc(anchor)}"><h2>{esc(title)}</h2>{lead}{body}</section>'


def details(summary_text: str, body: str) -> str:
    """A collapsed block (no JavaScript: the browser's own ``<details>``)."""
    return f"<details><summary>{esc(summary_text)}</summary>{body}</details>"


def pre(text: str) -> str:
    """Preformatted text, escaped."""
    return f"<pre>{esc(text)}</pre>"


def page(title: str, subtitle: str, sections: Sequence[tuple[str, str, str]]) -> str:
    """The whole HTML document.

    Args:
        title: the report's title.
        subtitle: one line under the title (scenario, horizon, replications).
        sections: (anchor, navigation label, section HTML) in reading order.
    """
    nav = "".join(f'<a href="#{esc(anchor)}">{esc(label)}</a>' for anchor, label, _ in sections)
    body = "\n".join(html_ for _, _, html_ in sections)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head>\n"
        f"<body><main><header><h1>{esc(title)}</h1><p class=\"lead\">{esc(subtitle)}</p>"
        f"<nav>{nav}</nav></header>\n{body}\n</main></body></html>\n"
    )
