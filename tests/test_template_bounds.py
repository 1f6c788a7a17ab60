"""A package's templates are bounded in time and size, and escape for their kind of file.

A declared site page or document may be hostile: two nested loops that run for hours, a
filter that asks for a text of 100 MB, a replacement that makes a terabyte. Each case
runs in a child process limited in time and memory (:mod:`tests.hostile`) and must end
in the sandbox's refusal, naming the bound and its variable, never a traceback, a hang or
a lack of memory. In a Markdown document no filter but ``|md_code`` and ``|safe`` prints
a value raw.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from markupsafe import Markup

from tests.hostile import run_cli, run_python
from tests.test_docs_declared import _one, stations
from tests.test_site_hostile import _declare
from zonedata.docs.declared import environment
from zonedata.errors import DocsError
from zonedata.site.render import render_template

SECONDS = "ZONEDATA_MAX_RENDER_SECONDS"
CHARS = "ZONEDATA_MAX_RENDER_CHARS"
ITEMS = "ZONEDATA_MAX_TEMPLATE_ITEMS"
MiB = 1 << 20

LOOPS = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
#: a million-character text, made within the bounds
BIG = '{% set s = "x" * 1000000 %}'

#: template -> words of the refusal (each rendered as .md, the most expensive kind)
HOSTILE = {
    LOOPS: f"rendering took longer than 1 s (the bound {SECONDS})",
    # loops that call nothing: only the loop itself can see the clock
    "{% set l = range(100000)|list %}{% for i in l %}{% for j in l %}{% endfor %}{% endfor %}": (
        SECONDS
    ),
    "{% set l = range(100000)|list %}{% for i in l %}{% for j in l if j %}{% endfor %}"
    "{% endfor %}": SECONDS,
    '{{ "x"|center(10**8) }}': f"a width of 100,000,000 is more than 1,000,000 (the bound {ITEMS})",
    '{{ "x"|center(3*10**7) }}': "a width of 30,000,000",
    '{{ "x".ljust(10**8) }}': ITEMS,
    '{{ "x".rjust(10**8) }}': ITEMS,
    '{{ "1".zfill(10**8) }}': ITEMS,
    '{{ ("\t" * 1000000).expandtabs(1000) }}': CHARS,
    '{{ "%0100000000d"|format(1) }}': f"a field width of 100,000,000 is more than 1,000,000 (the bound {ITEMS})",
    '{{ "%.100000000f"|format(1) }}': ITEMS,
    '{{ "%0100000000d" % 1 }}': ITEMS,
    '{{ "%*d" % (10**8, 1) }}': ITEMS,
    '{{ "{:>100000000}".format(1) }}': ITEMS,
    '{{ "{:>{w}}".format(1, w=10**8) }}': ITEMS,
    '{{ "{x:>100000000}".format_map({"x": 1}) }}': ITEMS,
    BIG + '{{ s|replace("x", s) }}': (
        f"a text of 1,000,000,000,000 characters or more is longer than 50,000,000 "
        f"(the bound {CHARS})"
    ),
    BIG + '{{ s.replace("x", s) }}': CHARS,
    BIG + '{{ s|replace("", s) }}': CHARS,
    BIG + "{{ s.translate({120: s}) }}": CHARS,
    BIG + "{{ ([s] * 100)|join(s) }}": CHARS,
    BIG + "{{ s.join([s] * 100) }}": CHARS,
    BIG + '{{ (s|replace("x", "\n"))|indent(1000) }}': CHARS,
    BIG + "{{ s|wordwrap(1, wrapstring=s) }}": CHARS,
    BIG + "{{ ([[s] * 10000] * 1000)|sum(start=[]) }}": ITEMS,
    "{{ [1]|tojson(indent=1000000) }}": "tojson's indent is at most 16",
    '{{ range(10)|batch(10**8, "x")|list }}': ITEMS,
    "{{ range(10)|slice(10**8)|list }}": ITEMS,
    # doubling: by ~, +, a list's extend and +
    '{% set ns = namespace(s="x") %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}'
    "{% endfor %}": CHARS,
    '{% set ns = namespace(s="x") %}{% for i in range(64) %}{% set ns.s = ns.s + ns.s %}'
    "{% endfor %}": CHARS,
    "{% set l = [1] %}{% for i in range(64) %}{% set _ = l.extend(l) %}{% endfor %}": ITEMS,
    "{% set ns = namespace(l=[1]) %}{% for i in range(64) %}{% set ns.l = ns.l + ns.l %}"
    "{% endfor %}": ITEMS,
    '{% set ns = namespace(s="x") %}{% for i in range(64) %}{% set ns.s = "%s%s" % (ns.s, ns.s) %}'
    "{% endfor %}": CHARS,
    # (a generator over the list itself: the list or the clock, whichever comes first)
    "{% set l = [1] %}{% for i in range(64) %}{% set _ = l.extend(l|map(attribute='real')) %}"
    "{% endfor %}": "(the bound ZONEDATA_MAX_",
    # templates that include themselves twice, to a depth no loop, call or print counts
    "{% with n = [n] %}{% if n != [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]] %}"
    '{% include "t" %}{% include "t" %}{% endif %}{% endwith %}': SECONDS,
    # a list of a million references to one long text, printed, joined or made JSON
    BIG + "{% set l = [s] * 1000000 %}{{ l }}": "the text of a value",
    BIG + "{% set l = [s] * 1000000 %}{{ l|string }}": "the text of a value",
    BIG + "{% set l = [s] * 1000000 %}{{ l|tojson }}": "the text of a value",
    BIG + '{% set l = [s] * 1000000 %}{{ "" ~ l }}': "the text of a value",
    BIG + '{% set l = [s] * 1000000 %}{{ "%s" % l }}': "the text of a value",
    # the output of a page, a macro or a block
    BIG + "{% for i in range(100000) %}{{ s }}{% endfor %}": (
        f"the output of 51,000,000 characters or more is longer than 50,000,000 (the bound {CHARS})"
    ),
    BIG + "{% macro m() %}{% for i in range(100000) %}{{ s }}{% endfor %}{% endmacro %}{{ m() }}": (
        "the output of 51,000,000"
    ),
    BIG + "{% set b %}{% for i in range(100000) %}{{ s }}{% endfor %}{% endset %}{{ b }}": (
        "the output of 51,000,000"
    ),
    BIG + "{% for i in range(100000) %}{{ s|safe }}{% endfor %}": "the output of 51,000,000",
    # numbers of millions of digits
    "{{ (10**1000)**1000 }}": "a number of bits",
    "{% set ns = namespace(n=10**1000) %}{% for i in range(64) %}{% set ns.n = ns.n * ns.n %}"
    "{% endfor %}": "a number of bits",
    "{{ lipsum(10**8) }}": "'lipsum' is undefined",
    # the re-sweep: short texts kept in a dict a template grows, and a loop printing ""
    '{% set s = "x"*999999 %}{% set d = {} %}{% for i in range(100000) %}'
    "{% set _ = d.update({i: s ~ i}) %}{% endfor %}{{ d|length }}": (
        "the texts the template made add up to more than 200,000,000 characters"
    ),
    '{% for a in range(100000) %}{% for b in range(100000) %}{{ "" }}{% endfor %}{% endfor %}': (
        "the output has more than 4,000,000 pieces"
    ),
}


def _render_in_child(template: str, path: str, env: dict[str, str] | None = None) -> str:
    """What rendering ``template`` as a document at ``path`` says, in a bounded child."""
    code = f"""
from zonedata.docs.declared import environment
from zonedata.errors import DocsError
from zonedata.site.render import render_template
env = environment({{"t": {json.dumps(template)}}}, {path!r})
try:
    out = render_template(env, "t", {{"n": 1}}, DocsError)
except DocsError as e:
    print("refused:", e)
else:
    print("rendered", len(out))
"""
    result = run_python(code, timeout=30, memory=1 << 30, env={SECONDS: "1", **(env or {})})
    assert result.code == 0 and "Traceback" not in result.output, result.output
    return result.stdout


@pytest.mark.parametrize("template", list(HOSTILE))
def test_a_hostile_template_is_refused_within_its_bounds(template: str) -> None:
    said = _render_in_child(template, "x.md")
    assert said.startswith("refused: template t: "), said
    assert HOSTILE[template] in said, said


@pytest.mark.parametrize("path", ["x.svg", "x.html"])
def test_the_bounds_hold_in_every_kind_of_file(path: str) -> None:
    assert SECONDS in _render_in_child(LOOPS, path)
    assert ITEMS in _render_in_child('{{ "x"|center(3*10**7) }}', path)
    assert CHARS in _render_in_child(BIG + '{{ s|replace("x", s) }}', path)


def test_the_bounds_are_set_by_their_variables() -> None:
    template = BIG + "{% for i in range(3) %}{{ s }}{% endfor %}"
    assert _render_in_child(template, "x.md") == "rendered 3000000\n"
    assert (
        "the output of 3,000,000 characters or more is longer than 2,000,000"
        in _render_in_child(template, "x.md", {CHARS: "2000000"})
    )
    assert (
        _render_in_child('{{ "x"|center(2000000) }}', "x.md", {ITEMS: "2000000"})
        == "rendered 2000000\n"
    )


def test_a_declared_document_that_never_ends_is_refused(tmp_path: Path) -> None:
    root = stations(tmp_path / "pkg", _one("notes/x.md"), {"notes/x.md": LOOPS})
    out = tmp_path / "out"
    result = run_cli("docs", "x", "--package", str(root), "--out-dir", str(out), env={SECONDS: "1"})
    result.assert_clean_failure(2)
    assert "x: template notes/x.md: rendering took longer than 1 s" in result.stderr
    assert not out.exists()


def test_a_declared_page_that_never_ends_is_refused(tmp_path: Path) -> None:
    declaration = {"templates": "t", "pages": [{"path": "p.html", "template": "t/p.html"}]}
    package = _declare(tmp_path, declaration, {"t/p.html": LOOPS})
    out = tmp_path / "site"
    result = run_cli("site", str(package), "--out", str(out), timeout=120, env={SECONDS: "1"})
    result.assert_clean_failure(2)
    assert "template t/p.html: rendering took longer than 1 s" in result.stderr
    assert not out.exists()


# -- Markdown: only |md_code and |safe are raw ------------------------------------------------

CELL = "[click](javascript:alert(1)) <img src=x onerror=alert(1)> | *x* _y_"
ESCAPED = r"\[click\](javascript:alert(1)) \<img src=x onerror=alert(1)\> \| \*x\* \_y\_"


def _md(template: str, **context: object) -> str:
    return render_template(
        environment({"t": template}, "x.md"), "t", {"v": CELL, **context}, DocsError
    )


@pytest.mark.parametrize(
    "template",
    [
        "{{ v }}",
        "{{ v|e }}",
        "{{ v|escape }}",
        "{{ v|forceescape }}",
        "{{ v|e|e }}",
        "{{ [v]|join }}",
        "{{ v|string }}",
        "{{ v|trim }}",
    ],
)
def test_every_filter_but_md_code_and_safe_escapes_for_markdown(template: str) -> None:
    assert _md(template) == ESCAPED


@pytest.mark.parametrize(
    "template",
    [
        '{{ "a"|md_code ~ v }}',
        '{{ "a"|safe ~ v }}',
        '{{ "a"|safe + v }}',
        '{{ "a%s"|safe % v }}',
        '{{ "a%s"|safe|format(v) }}',
        '{{ ("a{}"|safe).format(v) }}',
        '{{ "a_"|safe|replace("_", v) }}',
        '{% macro m() %}a_{% endmacro %}{{ m()|replace("_", v) }}',
        "{% macro m() %}a{% endmacro %}{{ m() ~ v }}",
        "{% macro m() %}a{% endmacro %}{{ m() + v }}",
        "{% macro m() %}a{}{% endmacro %}{{ m().format(v) }}",
        "{% set b %}a%s{% endset %}{{ b % v }}",
    ],
)
def test_text_joined_to_markup_is_escaped_for_markdown(template: str) -> None:
    """Jinja escapes text joined to markup for HTML, which leaves a link live and a
    pipe that splits a cell: in Markdown it is escaped for Markdown."""
    out = _md(template)
    assert out.endswith(ESCAPED) and out.removesuffix(ESCAPED) in ("a", "`a`"), out


def test_tojson_is_escaped_for_markdown() -> None:
    assert _md("{{ {'k': v}|tojson }}") == '{"k": "' + ESCAPED + '"}'


@pytest.mark.parametrize("name", ["urlize", "xmlattr"])
def test_filters_that_make_html_are_refused_in_markdown(name: str) -> None:
    with pytest.raises(DocsError, match=f"template t: \\|{name} makes HTML, which a Markdown"):
        _md(f"{{{{ v|{name} }}}}")


def test_md_code_and_safe_are_raw() -> None:
    assert _md('{{ v|safe }} {{ "a|b"|md_code }}') == CELL + r" `a\|b`"
    assert isinstance(_md("{{ v|safe }}"), str) and not isinstance(_md("x"), Markup)


def test_a_declared_document_escapes_what_e_prints(tmp_path: Path) -> None:
    """The finding, end to end: a cell printed with ``|e`` in a table of a document."""
    template = "| a | b |\n| --- | --- |\n{% for r in tables.stations %}| {{ r.name|e }} | x |\n{% endfor %}"
    root = stations(tmp_path / "pkg", _one("notes/x.md"), {"notes/x.md": template})
    out = tmp_path / "out"
    result = run_cli("docs", "x", "--package", str(root), "--out-dir", str(out))
    assert result.code == 0, result.output
    text = (out / "x.md").read_text("utf-8")
    assert r"North \| \*Hill\* \[x\](http://e.test) \<script\>alert(1)\</script\> | x |" in text
