"""``zonedata site``: build the static data site (``dist/site/``)."""

from __future__ import annotations

import sys

import click


@click.command()
@click.option(
    "-o",
    "--out",
    type=click.Path(file_okay=False, path_type=str),
    default="dist/site",
    show_default=True,
    metavar="DIR",
    help="Folder to write the site into. It must not exist, be empty, or hold a site "
    "built earlier (which is then replaced).",
)
@click.option(
    "--release",
    "release",
    type=click.Path(exists=True, path_type=str),
    default=None,
    metavar="PATH",
    help="Build from a release folder made by `zonedata release` (or its "
    "datapackage.json); its zip beside it is offered too. Default: the package itself.",
)
def site(out: str, release: str | None) -> None:
    """Build the static data site: a folder of HTML pages that works from file://.

    The site has a home page (what the data is, the two programmes told apart, the GDP
    chart, downloads with sizes and SHA-256, how to cite), one page per table (data
    dictionary and every row, sortable and filterable), one page per zone and a page
    for the seed article's statements. Links are relative and nothing is fetched from
    outside the folder, so it can be opened from disk or published on GitHub Pages.
    The same input gives the same bytes.

    \b
    Exit codes:
      0  site built
      2  usage or input error (unreadable release, --out holds other files)

    \b
    Examples:
      zonedata site
      zonedata site --out public/
      zonedata release && zonedata site --release dist/zonedata-0.1.0
    """
    import time

    from zonedata.errors import SiteError
    from zonedata.site import build_site

    start = time.perf_counter()
    try:
        files = build_site(out, release=release)
    except SiteError as e:
        click.echo(f"zonedata site: {e}", err=True)
        sys.exit(2)
    pages = sum(1 for f in files if f.suffix == ".html")
    seconds = time.perf_counter() - start
    click.echo(f"Built {pages} pages, {len(files)} files in {out} ({seconds:.1f} s).")
    click.echo(f"Open {out.rstrip('/')}/index.html in a browser.")
