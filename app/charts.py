"""Charts rendered on the server as plain SVG bar charts: no script, no web fonts, readable when printed."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from markupsafe import escape

from app import maturity

PALETTE = ("#1f5f7a", "#8fb8c9", "#e0a458", "#6a994e")
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"

Series = Sequence[tuple[str, Mapping[str, int | None]]]


def maturity_chart_svg(series: Series, *, title: str | None = None) -> bytes:
    """A horizontal bar chart of the ten areas (0–4), one bar per assessment, area 1 at the top."""
    return bar_chart_svg([str(d.short) for d in maturity.DIMENSIONS],
                         [(str(name), [scores.get(d.key) for d in maturity.DIMENSIONS]) for name, scores in series],
                         title=title, horizontal=True, value_range=(0, 4), ticks=[0, 1, 2, 3, 4], height=420,
                         legend=True)


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def bar_chart_svg(labels: Sequence[str], series: Sequence[tuple[str, Sequence[float | int | None]]], *,
                  title: str | None = None, horizontal: bool = False, value_range: tuple[float, float] | None = None,
                  height: int = 360, ticks: Sequence[float] | None = None,
                  legend: bool | None = None) -> bytes:
    """A bar chart of any figures (one bar per series and label), without script. A bar is one rect with its figure
    as title, so that 300 groups cost a few milliseconds (pygal, used before, took a hundred)."""
    shows_legend = len(series) > 1 if legend is None else legend
    width, pad, title_h, legend_h = 720, 12, (34 if title else 8), (30 if shows_legend else 0)
    values = [v for _, vs in series for v in vs if v is not None]
    if value_range is not None:
        low, high = value_range
        ticks = list(ticks) if ticks else [low + (high - low) * i / 5 for i in range(6)]
    else:  # counts: whole numbers on the axis
        top = max(values or [1])
        step = max(1, round(top / 6))
        ticks = list(range(0, int(top) + step + 1, step))
        low, high = 0, ticks[-1]
    span = (high - low) or 1
    labels = [str(label) for label in labels]
    if horizontal:
        label_w = min(260, 12 + 7 * max((len(label) for label in labels), default=1))
        left, right, top_y, bottom = pad + label_w, width - pad - 10, title_h + 8, height - legend_h - 28
    else:
        left, right, top_y, bottom = pad + 7 * max(len(_number(t)) for t in ticks) + 8, width - pad, title_h + 8, \
            height - legend_h - 30
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
           f'height="{height}" font-family="{escape(FONT)}" font-size="13" fill="#212529">',
           f'<rect width="{width}" height="{height}" fill="white"/>']
    if title:
        out.append(f'<title>{escape(title)}</title><text x="{width / 2}" y="24" text-anchor="middle" '
                   f'font-size="15">{escape(title)}</text>')

    def at(value: float) -> float:  # the value's position along the value axis
        share = (min(max(value, low), high) - low) / span
        return left + share * (right - left) if horizontal else bottom - share * (bottom - top_y)

    for tick in ticks:  # guides with their figures
        pos = at(tick)
        if horizontal:
            out.append(f'<path d="M{pos:.1f} {top_y} V{bottom}" stroke="#6c757d" stroke-dasharray="4,4" '
                       f'stroke-width="0.5"/><text x="{pos:.1f}" y="{bottom + 18}" text-anchor="middle">'
                       f'{_number(tick)}</text>')
        else:
            out.append(f'<path d="M{left} {pos:.1f} H{right}" stroke="#6c757d" stroke-dasharray="4,4" '
                       f'stroke-width="0.5"/><text x="{left - 6}" y="{pos + 4:.1f}" text-anchor="end">'
                       f'{_number(tick)}</text>')
    band = ((bottom - top_y) if horizontal else (right - left)) / max(1, len(labels))
    bar = band * 0.8 / max(1, len(series))
    for i, label in enumerate(labels):
        start = (top_y if horizontal else left) + i * band + band * 0.1
        centre = start + band * 0.4
        if horizontal:  # a name too long for the margin is cut; the table beside the chart has it in full
            fits = (label_w - 12) // 7
            shown = label if len(label) <= fits else label[:fits - 1] + "…"
            out.append(f'<text x="{left - 6}" y="{centre + 4:.1f}" text-anchor="end">{escape(shown)}</text>')
        else:
            out.append(f'<text x="{centre:.1f}" y="{bottom + 18}" text-anchor="middle">{escape(label)}</text>')
        for j, (name, vs) in enumerate(series):
            value = vs[i] if i < len(vs) else None
            if value is None:
                continue
            colour, offset, base = PALETTE[j % len(PALETTE)], start + j * bar, at(max(low, 0))
            if horizontal:
                x0, x1 = sorted((base, at(value)))
                rect = f'x="{x0:.1f}" y="{offset:.1f}" width="{x1 - x0:.1f}" height="{bar:.1f}"'
            else:
                y0, y1 = sorted((base, at(value)))
                rect = f'x="{offset:.1f}" y="{y0:.1f}" width="{bar:.1f}" height="{y1 - y0:.1f}"'
            out.append(f'<rect {rect} fill="{colour}"><title>{escape(label)}, {escape(str(name))}: '
                       f'{_number(value)}</title></rect>')
    out.append(f'<path d="M{left} {top_y} V{bottom} H{right}" stroke="#212529" fill="none"/>')  # the axes
    if legend_h:
        x = left
        for j, (name, _) in enumerate(series):
            out.append(f'<rect x="{x}" y="{height - 22}" width="12" height="12" fill="{PALETTE[j % len(PALETTE)]}"/>'
                       f'<text x="{x + 17}" y="{height - 12}">{escape(str(name))}</text>')
            x += 215
    out.append("</svg>")
    return "".join(out).encode("utf-8")
