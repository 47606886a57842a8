"""Charts as inline SVG, made on the server (no script, no chart library, nothing from a CDN).

Every chart is ``role="img"`` with a title; the page shows a data table with the same figures beside
it for screen readers and for copying.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

PALETTE = ["#004b87", "#d95f02", "#1b9e77", "#7570b3", "#e7298a", "#66a61e", "#a6761d", "#666666"]
"""Colour-blind-safe-ish series colours (Dark2 with the inbox's blue first)."""


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def stacked_columns(
    title: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[int]]],
    *,
    width: int = 720,
    height: int = 220,
    ident: str = "chart",
) -> Markup:
    """Columns per category (e.g. day), stacked by series (e.g. language), with a legend."""
    left, bottom, top = 36, 28, 10
    plot_w, plot_h = width - left - 8, height - bottom - top
    totals = [sum(values[i] for _, values in series) for i in range(len(categories))]
    peak = max([1, *totals])
    step = plot_w / max(1, len(categories))
    bar = max(1.0, step * 0.75)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="{ident}-t" '
        f'viewBox="0 0 {width} {height + 22}" width="100%" style="max-width:{width}px">'
        f'<title id="{ident}-t">{escape(title)}</title>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 8}" y2="{top + plot_h}" stroke="#888"/>',
        f'<text x="{left - 4}" y="{top + 8}" font-size="11" text-anchor="end">{peak}</text>',
        f'<text x="{left - 4}" y="{top + plot_h}" font-size="11" text-anchor="end">0</text>',
    ]
    for i, category in enumerate(categories):
        x = left + i * step + (step - bar) / 2
        y = float(top + plot_h)
        for s, (name, values) in enumerate(series):
            value = values[i]
            if not value:
                continue
            h = plot_h * value / peak
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{colour(s)}">'
                f"<title>{escape(category)} · {escape(name)}: {value}</title></rect>"
            )
        every = max(1, len(categories) // 7)
        if i % every == 0 or i == len(categories) - 1:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{top + plot_h + 16}" font-size="11" text-anchor="middle">'
                f"{escape(category[5:] if len(category) == 10 else category)}</text>"
            )
    lx = left
    for s, (name, _) in enumerate(series):
        parts.append(
            f'<rect x="{lx}" y="{height + 6}" width="10" height="10" fill="{colour(s)}"/>'
            f'<text x="{lx + 14}" y="{height + 15}" font-size="11">{escape(name)}</text>'
        )
        lx += 24 + 7 * len(name)
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it went through escape()


def bars(
    title: str,
    rows: Sequence[tuple[str, float]],
    *,
    width: int = 560,
    ident: str = "bars",
    unit: str = "",
) -> Markup:
    """Horizontal bars, one per (label, value), largest value full width."""
    label_w, row_h = 260, 22
    height = max(1, len(rows)) * row_h + 6
    peak = max([1.0, *(float(v) for _, v in rows)])
    plot_w = width - label_w - 60
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="{ident}-t" '
        f'viewBox="0 0 {width} {height}" width="100%" style="max-width:{width}px">'
        f'<title id="{ident}-t">{escape(title)}</title>'
    ]
    for i, (label, value) in enumerate(rows):
        y = 3 + i * row_h
        w = plot_w * float(value) / peak
        shown = f"{value:g}{unit}" if isinstance(value, float) else f"{value}{unit}"
        short = label if len(label) <= 36 else label[:35] + "…"
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 14}" font-size="11" text-anchor="end">{escape(short)}</text>'
            f'<rect x="{label_w}" y="{y + 2}" width="{w:.1f}" height="{row_h - 6}" fill="{colour(0)}">'
            f"<title>{escape(label)}: {escape(shown)}</title></rect>"
            f'<text x="{label_w + w + 4:.1f}" y="{y + 14}" font-size="12">{escape(shown)}</text>'
        )
    if not rows:
        parts.append('<text x="4" y="16" font-size="12">–</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it went through escape()
