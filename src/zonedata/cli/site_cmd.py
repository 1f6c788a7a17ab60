"""``zonedata site``: build the static data site (``dist/site/``)."""

from __future__ import annotations

import sys

import click


@click.command()
@click.argument("package", required=False, type=click.Path(path_type=str))
@click.option(
    "-o",
    "--out",
    type=click.Path(file_okay=False, path_type=str),
    default="dist/site",
    show_default=True,
    metavar="DIR",
    help="Folder to write the site into. It must not exist, be empty, or hold a site "
    "built earlier (whose files, and only those, are replaced).",
)
@click.option(
    "--release",
    "release",
    type=click.Path(exists=True, path_type=str),
    default=None,
    metavar="PATH",
    help="Build from a release folder made by `zonedata release` (or its "
    "datapackage.json); its zip beside it is offered too. With PACKAGE (the release's "
    "source), the pages PACKAGE declares are built from the release's data.",
)
def site(package: str | None, out: str, release: str | None) -> None:
    """Build the static data site of a package: HTML pages that work from file://.

    PACKAGE is a datapackage.json (or .yaml) or the folder that holds it (default: the
    zonedata package itself); it is validated first. The site has a home page (title,
    description, licence, contributors, sources, downloads with sizes and SHA-256, how
    to cite) and one page per table (data dictionary and every row, sortable and
    filterable), plus the pages the package declares itself (`zonedata:site`). Only
    files verified against the release's hashes are offered for download. Links are
    relative and nothing is fetched from outside the folder. The same input gives the
    same bytes.

    \b
    Exit codes:
      0  site built
      1  the package is invalid (the validation report says why)
      2  usage or input error (unreadable release, --out holds other files)

    \b
    Examples:
      zonedata site
      zonedata site path/to/datapackage.json --out public/
      zonedata release && zonedata site --release dist/zonedata-0.1.0 .
    """
    import time

    from zonedata.errors import SiteError
    from zonedata.site import InvalidPackageError, build_site

    start = time.perf_counter()
    try:
        built = build_site(out, package, release=release)
    except InvalidPackageError as e:
        click.echo(f"zonedata site: the package is invalid; no site built.\n{e}", err=True)
        sys.exit(1)
    except SiteError as e:
        click.echo(f"zonedata site: {e}", err=True)
        sys.exit(2)
    for note in built.left_out:
        click.echo(f"Left out: {note}", err=True)
    seconds = time.perf_counter() - start
    click.echo(f"Built {built.pages} pages, {len(built.files)} files in {out} ({seconds:.1f} s).")
    click.echo(f"Open {out.rstrip('/')}/index.html in a browser.")
