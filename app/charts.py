"""Charts rendered on the server as SVG (pygal): no script, no web fonts, readable when printed."""
from __future__ import annotations

import re
import sys
from collections.abc import Mapping, Sequence

import pygal
from pygal.style import Style

from app import maturity

# pygal adds an import hook for its map plugins (unused here) that lacks find_spec, so every later import
# raises an ImportWarning; without the hook Python's own import machinery serves every import.
sys.meta_path[:] = [finder for finder in sys.meta_path if type(finder).__name__ != "PluginImportFixer"]

PALETTE = ("#1f5f7a", "#8fb8c9", "#e0a458", "#6a994e")

STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#212529",
    foreground_strong="#212529",
    foreground_subtle="#6c757d",
    colors=PALETTE,
    font_family="system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif",
    label_font_size=13,
    major_label_font_size=13,
    legend_font_size=13,
    title_font_size=15,
    value_font_size=12,
    opacity="1",
    opacity_hover="1",
    transition="none",
)

Series = Sequence[tuple[str, Mapping[str, int | None]]]


def _config(chart_class, title: str | None, **extra):
    return chart_class(
        style=STYLE, width=720, height=420, title=title, js=[], disable_xml_declaration=True, tooltip_border_radius=0,
        show_legend=True, legend_at_bottom=True, legend_at_bottom_columns=3, range=(0, 4), include_x_axis=True,
        print_values=False, interpolate=None, explicit_size=True, truncate_label=-1, truncate_legend=-1, **extra,
    )


def _add_series(chart, series: Series, top_down: bool = False) -> None:
    # pygal draws horizontal bars from the bottom up; reversed, area 1 stands at the top.
    dimensions = list(reversed(maturity.DIMENSIONS)) if top_down else list(maturity.DIMENSIONS)
    chart.x_labels = [str(d.short) for d in dimensions]
    for name, scores in series:
        chart.add(str(name), [scores.get(d.key) for d in dimensions])


def maturity_chart_svg(series: Series, *, title: str | None = None) -> bytes:
    """A horizontal bar chart of the ten areas (0–4), one bar per assessment."""
    chart = _config(pygal.HorizontalBar, title, y_labels=[0, 1, 2, 3, 4], margin_left=10)
    _add_series(chart, series, top_down=True)
    return _bytes(chart.render())


def maturity_radar_svg(series: Series, *, title: str | None = None) -> bytes:
    """The same figures as a radar chart."""
    chart = _config(pygal.Radar, title, y_labels=[0, 1, 2, 3, 4], fill=False)
    _add_series(chart, series)
    return _bytes(chart.render())


def _bytes(svg: str | bytes) -> bytes:
    """The rendered SVG without pygal's inline configuration script and credit comment."""
    text = svg.decode("utf-8") if isinstance(svg, bytes) else svg
    text = re.sub(r"<script\b[^>]*>.*?</script>", "", text, flags=re.DOTALL)
    text = re.sub(r"<!--.*?-->", "", text, flags=re.DOTALL)
    return text.encode("utf-8")


def chart_table(series: Series) -> list[tuple[str, list[int | None]]]:
    """The chart's figures as rows (area title, value per series), for the table beside the chart."""
    return [(str(d.title), [scores.get(d.key) for _, scores in series]) for d in maturity.DIMENSIONS]


def bar_chart_svg(labels: Sequence[str], series: Sequence[tuple[str, Sequence[float | int | None]]], *,
                  title: str | None = None, horizontal: bool = False, value_range: tuple[float, float] | None = None,
                  height: int = 360) -> bytes:
    """A bar chart of any figures (one bar per series and label), script-free like the others."""
    chart_class = pygal.HorizontalBar if horizontal else pygal.Bar
    extra = {"range": value_range} if value_range else {"range": None}
    chart = chart_class(
        style=STYLE, width=720, height=height, title=title, js=[], disable_xml_declaration=True,
        show_legend=len(series) > 1, legend_at_bottom=True, legend_at_bottom_columns=3, include_x_axis=True,
        print_values=False, explicit_size=True, truncate_label=-1, truncate_legend=-1, x_label_rotation=0,
        **extra)
    chart.x_labels = [str(label) for label in labels]
    for name, values in series:
        chart.add(str(name), list(values))
    if value_range is None:  # counts: whole numbers on the axis
        top = max([v for _, values in series for v in values if v is not None] or [1])
        step = max(1, round(top / 6))
        chart.y_labels = list(range(0, int(top) + step + 1, step))
    return _bytes(chart.render())
