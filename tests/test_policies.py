"""The ground floor's policies: one Limits, one containment rule, YAML descriptors.

(The name rule's tests are in test_hostile_validate.py, section 1.)
"""

from __future__ import annotations

import json
import shutil
from dataclasses import fields
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from tests.smallpkg import city_air_quality
from zonedata.cli import cli
from zonedata.descriptor import yamltext
from zonedata.descriptor.files import descriptor_in
from zonedata.errors import JsonTextError, UnsafePathError
from zonedata.limits import LimitError, Limits, env_of, limits_table
from zonedata.paths import inside, is_entry_below, output_folder, path_problem
from zonedata.validate import validate_package

REPO = Path(__file__).resolve().parent.parent


# --- limits --------------------------------------------------------------------------


def test_every_limit_has_one_variable_and_a_positive_default() -> None:
    envs = [f.metadata["env"] for f in fields(Limits)]
    assert len(set(envs)) == len(envs)
    assert all(e.startswith("ZONEDATA_") for e in envs)
    defaults = Limits()
    for f in fields(Limits):
        value = getattr(defaults, f.name)
        assert isinstance(value, frozenset) or value > 0, f.name


def test_limits_read_variables_and_arguments_first() -> None:
    env = {"ZONEDATA_MAX_ROWS": "1_000", "ZONEDATA_ALLOW_REDIRECT_HOSTS": "A.example, b.example"}
    limits = Limits.from_env(env, download_deadline=2.5)
    assert limits.max_rows == 1000
    assert limits.allow_redirect_hosts == frozenset({"a.example", "b.example"})
    assert limits.download_deadline == 2.5
    assert limits.max_file_bytes == Limits().max_file_bytes


@pytest.mark.parametrize("raw", ["lots", "0", "-5", "nan", "inf", "1e999"])
def test_a_limit_set_to_nonsense_is_refused(raw: str) -> None:
    with pytest.raises(LimitError, match="ZONEDATA_MAX_SQL_SECONDS"):
        Limits.from_env({"ZONEDATA_MAX_SQL_SECONDS": raw})


def test_the_security_doc_prints_the_limits_table() -> None:
    doc = (REPO / "docs" / "security.md").read_text(encoding="utf-8")
    assert limits_table() in doc
    assert env_of("max_rows") == "ZONEDATA_MAX_ROWS"


# --- containment ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["", "/etc/passwd", "C:/x", "C:\\x", "http://x/a.csv", "a/../b", "./a", "a//b", "a\\b", "a\nb"],
)
def test_paths_that_are_not_plain_relative(path: str) -> None:
    assert path_problem(path) is not None


@pytest.mark.parametrize("path", ["a.csv", "data/a.csv", "a..b/c", "_x/-y.csv"])
def test_plain_relative_paths(path: str) -> None:
    assert path_problem(path) is None


def test_inside_follows_symlinks(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "out").symlink_to(tmp_path)
    assert inside(tmp_path / "pkg", "data/a.csv") == (tmp_path / "pkg" / "data/a.csv").resolve()
    with pytest.raises(UnsafePathError, match="resolves outside its folder"):
        inside(tmp_path / "pkg", "out/a.csv")
    with pytest.raises(UnsafePathError, match=r"'\.\.' part"):
        inside(tmp_path / "pkg", "../a.csv")


def test_an_output_folder_symlink_is_followed_once(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    assert output_folder(tmp_path / "link") == real.resolve()
    assert output_folder(tmp_path / "new") == (tmp_path / "new").resolve()  # need not exist


def test_an_output_folder_that_is_a_file_or_a_loop_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    (tmp_path / "flink").symlink_to(tmp_path / "file")
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    with pytest.raises(UnsafePathError) as file_case:
        output_folder(tmp_path / "flink")
    assert (
        file_case.value.problem == f"exists and is not a folder (a symlink to {tmp_path / 'file'})"
    )
    with pytest.raises(UnsafePathError) as loop_case:
        output_folder(tmp_path / "loop")
    assert loop_case.value.problem.startswith("cannot be resolved")


@pytest.mark.parametrize("command", ["site", "release"])
def test_site_and_release_follow_a_symlinked_out_alike(tmp_path: Path, command: str) -> None:
    pkg = city_air_quality(tmp_path / "pkg")
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    runner = CliRunner()
    built = runner.invoke(cli, [command, str(pkg), "--out", str(tmp_path / "link")])
    assert built.exit_code == 0, built.output
    assert any(real.iterdir())
    refused = runner.invoke(cli, [command, str(pkg), "--out", str(tmp_path / "loop")])
    assert refused.exit_code == 2, refused.output
    assert f"--out {tmp_path / 'loop'} is refused: it cannot be resolved" in refused.output


def test_zip_entries_below_their_folder() -> None:
    assert is_entry_below("rel-1/a.csv", "rel-1")
    assert is_entry_below("rel-1/", "rel-1")
    assert not is_entry_below("rel-1/../x", "rel-1")
    assert not is_entry_below("rel-10/a.csv", "rel-1")


# --- YAML descriptors ----------------------------------------------------------------


@pytest.fixture(scope="module")
def yaml_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The canonical package with its descriptor written as datapackage.yaml."""
    root = tmp_path_factory.mktemp("yaml")
    for folder in ("data", "derived", "site", "docs/templates"):
        shutil.copytree(REPO / folder, root / folder)
    descriptor = json.loads((REPO / "datapackage.json").read_text(encoding="utf-8"))
    text = yaml.safe_dump(descriptor, allow_unicode=True, sort_keys=False)
    (root / "datapackage.yaml").write_text(text, encoding="utf-8")
    return root


def _problems(report: object) -> list[tuple[str, str | None, int | None, str]]:
    return [(p.code, p.table, p.line, p.message) for p in report.problems]  # type: ignore[attr-defined]


def test_a_yaml_descriptor_is_found_and_read_like_json(yaml_package: Path) -> None:
    assert descriptor_in(yaml_package).name == "datapackage.yaml"
    from_yaml = validate_package(yaml_package, today=None)
    from_json = validate_package(REPO, today=None)
    assert from_yaml.valid and from_json.valid
    assert _problems(from_yaml) == _problems(from_json)


def test_yaml_problems_are_located(tmp_path: Path) -> None:
    (tmp_path / "datapackage.yaml").write_text(
        "name: x\nresources:\n  - name: Bad\n    path: a.csv\n", encoding="utf-8"
    )
    (tmp_path / "a.csv").write_text("a\n1\n", encoding="utf-8")
    report = validate_package(tmp_path)
    unsafe = [p for p in report.problems if p.code == "name-unsafe"]
    assert [(p.line, p.column) for p in unsafe] == [(3, 11)]


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("a: &x [1]\nb: *x\n", (2, 4)),  # aliases could expand a small file into gigabytes
        ("a: 1\nb: 2\na: 3\n", (3, 1)),  # a repeated key: the last one would win silently
        ("m:\n  <<: {k: 1}\n  k: 2\n", (2, 3)),  # a merge key hides keys without a repeat
        ("a: [1\n", None),
        ("a: .inf\n", None),
        ("1: x\n", None),
    ],
)
def test_yaml_that_json_cannot_hold_is_refused(text: str, where: tuple[int, int] | None) -> None:
    with pytest.raises(JsonTextError) as e:
        yamltext.loads(text)
    if where is not None:
        assert (e.value.line, e.value.column) == where


def test_yaml_dates_stay_text() -> None:
    assert yamltext.loads("created: 2020-01-01\nn: 1.5\nok: true\n") == {
        "created": "2020-01-01",
        "n": 1.5,
        "ok": True,
    }


# --- conventions apply to a package that declares them ---------------------------------


def _convention_package(tmp_path: Path, declared: object) -> Path:
    descriptor: dict[str, object] = {
        "name": "stations",
        "resources": [
            {
                "name": "stations",
                "path": "stations.csv",
                "schema": {
                    "fields": [{"name": "id", "type": "integer"}, {"name": "name"}],
                    "primaryKey": ["id"],
                },
            }
        ],
    }
    if declared is not None:
        descriptor["zonedata:conventions"] = declared
    (tmp_path / "datapackage.json").write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
    (tmp_path / "stations.csv").write_bytes(b"\xef\xbb\xbfid,name\r\n2,b\r\n1,a\r\n")
    return tmp_path


def test_a_package_without_conventions_gets_no_convention_warnings(tmp_path: Path) -> None:
    report = validate_package(_convention_package(tmp_path, None))
    assert report.valid and not report.problems


def test_declared_conventions_are_checked(tmp_path: Path) -> None:
    report = validate_package(_convention_package(tmp_path, ["lf", "no-bom", "sorted"]))
    assert [(p.code, p.line) for p in report.problems] == [
        ("bom", 1),
        ("crlf-line-endings", 1),
        ("rows-unsorted", 3),
    ]


def test_an_unknown_convention_is_a_located_error(tmp_path: Path) -> None:
    report = validate_package(_convention_package(tmp_path, ["lf", "crlf"]))
    (problem,) = [p for p in report.problems if p.code == "convention-unknown"]
    text = (tmp_path / "datapackage.json").read_text(encoding="utf-8")
    line = next(i for i, x in enumerate(text.split("\n"), 1) if '"crlf"' in x)
    assert (problem.severity, problem.line) == ("error", line)
