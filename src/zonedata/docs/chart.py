"""``docs/gdp-chart.svg``: the host cities' 2018 GDP, one bar per source.

Cities are sorted by their preferred figure. Where several sources give a city's GDP, each
figure gets its own bar, coloured by source: the preferred one solid and outlined, the
others hatched and faded, so a reader sees at a glance where sources disagree and which
figure the package prefers. Value labels are the figures exactly as stored.

The SVG is deterministic: fixed font (DejaVu Sans, which ships with matplotlib), text kept
as text, a fixed hash salt for element ids, no date. It also records a fingerprint of its
inputs (the plotted rows and this module's code) and the matplotlib version it was drawn
with, so that :func:`is_current` can tell a stale chart (inputs changed) from the same chart
drawn by another matplotlib version (bytes differ, inputs did not).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from zonedata.descriptor.package import Package
from zonedata.docs import MissingDependencyError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

YEAR = "2018"
GDP_TABLE = "city_gdp"
CITY_TABLE = "cities"
ATTRIBUTION = "Data: zonedata (CC BY 4.0)"
TITLE = f"GDP of the AI pilot zones' host cities, {YEAR}"
SUBTITLE = (
    "One bar per source. Where sources disagree every figure is shown: "
    "the preferred one solid, the others hatched."
)
#: Okabe-Ito colours (distinguishable with colour-blindness), assigned to sources by ID
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442")
FONT = "DejaVu Sans"
INSTALL_HINT = "The chart needs matplotlib: pip install 'zonedata[plot]'"

_IDENT = re.compile(rb"<dc:identifier>zonedata-gdp-chart:([0-9a-f]+)</dc:identifier>")
_CREATOR = re.compile(rb"matplotlib ([^<\s]+)\)")


@dataclass(frozen=True)
class Bar:
    """One plotted figure: a city's GDP according to one source."""

    city_id: str
    city: str
    source_id: str
    text: str
    value: Decimal
    preferred: bool
    approximate: bool


def chart_bars(package: Package) -> list[list[Bar]]:
    """The bars to plot, grouped by city: cities by preferred figure (largest first), and
    within a city the preferred figure first, then the others by source ID."""
    names = {r["city_id"]: r.get("name_en") or r["city_id"] for r in _read(package, CITY_TABLE)}
    groups: dict[str, list[Bar]] = {}
    for r in _read(package, GDP_TABLE):
        if r.get("year") != YEAR or not r.get("gdp_cny_bn"):
            continue
        bar = Bar(
            city_id=r["city_id"],
            city=names.get(r["city_id"], r["city_id"]),
            source_id=r["source_id"],
            text=r["gdp_cny_bn"],
            value=Decimal(r["gdp_cny_bn"]),
            preferred=r.get("preferred") == "true",
            approximate=r.get("approximate") == "true",
        )
        groups.setdefault(bar.city_id, []).append(bar)
    for bars in groups.values():
        bars.sort(key=lambda b: (not b.preferred, b.source_id))
    return sorted(groups.values(), key=lambda bars: (-_headline(bars), bars[0].city))


def _headline(bars: list[Bar]) -> Decimal:
    """The figure a city is ranked by: its preferred one (the largest if none is preferred)."""
    preferred = [b.value for b in bars if b.preferred]
    return preferred[0] if preferred else max(b.value for b in bars)


def fingerprint(groups: list[list[Bar]]) -> str:
    """A hash of what the chart shows and of the code that draws it."""
    h = hashlib.sha256(Path(__file__).read_bytes().replace(b"\r\n", b"\n"))
    rows = [
        [b.city_id, b.city, b.source_id, b.text, b.preferred, b.approximate]
        for bars in groups
        for b in bars
    ]
    h.update(json.dumps(rows, ensure_ascii=False).encode("utf-8"))
    return h.hexdigest()[:32]


def render(package: Package) -> bytes:
    """The chart as SVG bytes (raises :class:`MissingDependencyError` without matplotlib)."""
    try:
        import matplotlib
        import matplotlib.style
        from matplotlib.figure import Figure
    except ImportError as e:
        raise MissingDependencyError(INSTALL_HINT) from e

    groups = chart_bars(package)
    # matplotlib's defaults, not the user's matplotlibrc, then this chart's settings
    with (
        matplotlib.style.context("default"),
        matplotlib.rc_context(
            {
                "svg.hashsalt": "zonedata",
                "svg.fonttype": "none",
                "font.family": "sans-serif",
                "font.sans-serif": [FONT],
                "font.size": 10,
                "hatch.linewidth": 0.8,
                "axes.spines.top": False,
                "axes.spines.right": False,
            }
        ),
    ):
        n_bars = sum(len(bars) for bars in groups)
        fig = Figure(figsize=(9, 1.6 + 0.3 * n_bars + 0.15 * len(groups)))
        ax = fig.add_subplot()
        _draw(ax, groups)
        ax.set_title(SUBTITLE, loc="left", fontsize=9, color="#444444", pad=8)
        ax.annotate(
            TITLE,
            xy=(0, 1),
            xycoords="axes fraction",
            xytext=(0, 24),
            textcoords="offset points",
            ha="left",
            va="bottom",
            fontsize=14,
            fontweight="bold",
        )
        fig.text(0.01, 0.005, ATTRIBUTION, fontsize=8, color="#444444", ha="left", va="bottom")
        fig.text(
            0.99,
            0.005,
            f"table {GDP_TABLE}; sources: docs/data-dictionary.md",
            fontsize=8,
            color="#444444",
            ha="right",
            va="bottom",
        )
        fig.tight_layout(rect=(0, 0.03, 1, 1))
        buf = io.BytesIO()
        fig.savefig(
            buf,
            format="svg",
            metadata={
                "Title": TITLE,
                "Description": f"{SUBTITLE} Billion CNY, current prices. {ATTRIBUTION}.",
                "Creator": f"zonedata docs (matplotlib {matplotlib.__version__})",
                "Identifier": f"zonedata-gdp-chart:{fingerprint(groups)}",
                "Rights": "CC BY 4.0",
                "Date": None,
            },
        )
    return buf.getvalue()


def _draw(ax: Axes, groups: list[list[Bar]]) -> None:
    from matplotlib.patches import Patch

    sources = sorted({b.source_id for bars in groups for b in bars})
    colour = {s: PALETTE[i % len(PALETTE)] for i, s in enumerate(sources)}
    thickness, gap = 0.8, 0.6
    top = max((b.value for bars in groups for b in bars), default=Decimal(1))
    y = 0.0
    ticks: list[float] = []
    for bars in groups:
        ys = [y + i * thickness for i in range(len(bars))]
        ticks.append(sum(ys) / len(ys))
        for b, yb in zip(bars, ys, strict=True):
            c = colour[b.source_id]
            ax.barh(
                yb,
                float(b.value),
                height=thickness * 0.9,
                color=c,
                alpha=1.0 if b.preferred else 0.45,
                edgecolor="#222222" if b.preferred else c,
                linewidth=0.9 if b.preferred else 0.6,
                hatch=None if b.preferred else "////",
            )
            label = ("≈ " if b.approximate else "") + b.text
            ax.text(
                float(b.value) + float(top) * 0.006,
                yb,
                label,
                va="center",
                ha="left",
                fontsize=8.5,
                fontweight="bold" if b.preferred else "normal",
                color="#222222",
            )
        y = ys[-1] + thickness + gap
    ax.set_yticks(ticks, [bars[0].city for bars in groups])
    ax.invert_yaxis()
    ax.set_xlim(0, float(top) * 1.14)
    ax.set_xlabel(f"GDP {YEAR}, billion CNY (current prices)")
    ax.set_ylabel("Host city")
    ax.xaxis.grid(True, color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.tick_params(axis="y", length=0)

    handles = [Patch(facecolor=colour[s], edgecolor=colour[s], label=s) for s in sources]
    handles += [
        Patch(facecolor="#888888", edgecolor="#222222", label="preferred figure"),
        Patch(
            facecolor="#888888",
            alpha=0.45,
            edgecolor="#888888",
            hatch="////",
            label="another source's figure",
        ),
    ]
    ax.legend(
        handles=handles,
        title="Source ID (data/sources.csv)",
        loc="lower right",
        fontsize=8,
        title_fontsize=8.5,
        frameon=True,
        framealpha=0.95,
    )


def is_current(committed: bytes, fresh: bytes) -> tuple[bool, str]:
    """Whether a committed chart whose bytes differ from a fresh one is still current.

    It is when both show the same inputs (same fingerprint) and were drawn by different
    matplotlib versions: then only the renderer differs, and the chart is not stale.
    """
    old, new = _IDENT.search(committed), _IDENT.search(fresh)
    if old is None or new is None:
        return False, "the committed chart has no zonedata fingerprint"
    if old.group(1) != new.group(1):
        return False, "the chart's data or drawing code changed (input fingerprint differs)"
    old_v, new_v = _CREATOR.search(committed), _CREATOR.search(fresh)
    if old_v is None or new_v is None or old_v.group(1) == new_v.group(1):
        return False, "same inputs and matplotlib version, different bytes: edited by hand?"
    return True, (
        f"same data and code, drawn with matplotlib {old_v.group(1).decode()}, "
        f"installed {new_v.group(1).decode()}"
    )


def _read(package: Package, table: str) -> list[dict[str, str]]:
    text = package.file(table).read_text(encoding="utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))
