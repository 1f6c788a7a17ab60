"""Hostile releases and URLs: every case runs zonedata in a bounded child process.

Each case goes through :mod:`tests.hostile` (a timeout and an address-space limit per
child) and asserts the exit code, that the message names the file concerned, and that no
traceback was printed; :func:`guard` checks that no source file changed and that nothing
was written outside the test's temporary folder. HTTP cases use a local server on
127.0.0.1 (and the name ``localhost`` for "another host"), started in a thread.
"""

from __future__ import annotations

import http.server
import io
import json
import os
import shutil
import socket
import stat
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.hostile import Outcome, run_cli, run_python, snapshot
from tests.test_verify import rehash
from zonedata.descriptor import bundled_package_path, read_package
from zonedata.release import build
from zonedata.release.build import build_release

REPO = Path(__file__).resolve().parent.parent
PACKAGE = bundled_package_path()
VERSION = read_package(PACKAGE).version
STEM = f"zonedata-{VERSION}"
BOMB = 200 << 20  # bytes of zeros in the zip bombs (under the default 256 MiB cap)


class PassingReport:
    def __init__(self) -> None:
        self.problems: list[object] = []
        self.errors: list[object] = []
        self.warnings: list[object] = []


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("hostile-dist")
    with pytest.MonkeyPatch.context() as mp:
        try:
            import zonedata.validate.semantic  # noqa: F401
        except ImportError:
            mp.setattr(build, "run_validation", lambda path: PassingReport())
        build_release(PACKAGE, out=out)
    return out


@pytest.fixture
def release(pristine: Path, tmp_path: Path) -> Path:
    """A fresh copy of the release folder (its zip is beside it)."""
    shutil.copytree(pristine / STEM, tmp_path / STEM)
    shutil.copy(pristine / f"{STEM}.zip", tmp_path / f"{STEM}.zip")
    return tmp_path / STEM


@pytest.fixture(autouse=True)
def guard(tmp_path: Path, pristine: Path) -> Iterator[dict[str, str]]:
    """Child processes get a private cache, home and temp folder inside ``tmp_path``;
    afterwards no source file changed and nothing appeared beside ``tmp_path``."""
    sources = {p: snapshot(REPO / p) for p in ("src", "data")}
    descriptor = (REPO / "datapackage.json").read_bytes()
    siblings = set(os.listdir(tmp_path.parent))
    (tmp_path / "home").mkdir()
    (tmp_path / "tmp").mkdir()
    env = {
        "HOME": str(tmp_path / "home"),
        "XDG_CACHE_HOME": str(tmp_path / "home" / ".cache"),
        "ZONEDATA_CACHE": str(tmp_path / "cache"),
        "TMPDIR": str(tmp_path / "tmp"),
        "MALLOC_ARENA_MAX": "2",  # glibc reserves 64 MiB of address space per thread arena
    }
    yield env
    for p, before in sources.items():
        after = snapshot(REPO / p)
        changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
        assert not {k for k in changed if "__pycache__" not in k}, changed
    assert (REPO / "datapackage.json").read_bytes() == descriptor
    assert set(os.listdir(tmp_path.parent)) <= siblings | {tmp_path.name}


LOAD = """
import sys, zonedata
try:
    t = zonedata.load({name!r}, release={release!r}, backend="arrow")
except zonedata.ZonedataError as e:
    print(type(e).__name__ + ": " + str(e))
    sys.exit(3)
print("loaded", t.num_rows)
"""


def load(release: Path | str, env: dict[str, str], name: str = "cities", **kw: Any) -> Outcome:
    return run_python(LOAD.format(name=name, release=str(release)), env=env, **kw)


def refused(out: Outcome, code: int, *words: str) -> None:
    """Exit ``code``, no traceback, and every word (file names, reasons) in the output."""
    out.assert_clean_failure(code)
    for w in words:
        assert w in out.output, (w, out.output)


def edit_descriptor(folder: Path, change: Callable[[dict[str, Any]], None]) -> None:
    path = folder / "datapackage.json"
    d = json.loads(path.read_text(encoding="utf-8"))
    change(d)
    path.write_text(json.dumps(d, ensure_ascii=False), encoding="utf-8")


def resource(d: dict[str, Any], path: str) -> dict[str, Any]:
    return next(r for r in d["resources"] if r["path"] == path)


# --- names and paths -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    ["../outside.parquet", "/etc/passwd", "..\\cities.parquet", "cities\x00.parquet"],
    ids=["dotdot", "absolute", "backslash", "nul"],
)
def test_unsafe_resource_path(release: Path, guard: dict[str, str], bad: str) -> None:
    edit_descriptor(release, lambda d: resource(d, "cities.parquet").update(path=bad))
    refused(load(release, guard), 3, "UnsafeFileError", "unsafe resource path", "datapackage.json")
    out = run_cli("verify", str(release), env=guard)
    refused(out, 1, "DESCRIPTOR", "datapackage.json", "unsafe resource path")


def test_unsafe_resource_name(release: Path, guard: dict[str, str]) -> None:
    # (a name Frictionless accepts, such as ../../evil, is an identifier a release may
    # hold: its files are named by their paths; this one is no table name at all)
    edit_descriptor(release, lambda d: resource(d, "zones.parquet").update(name="../../Evil"))
    refused(load(release, guard), 3, "UnsafeFileError", "'../../Evil'", "is not a table name")
    refused(run_cli("verify", str(release), env=guard), 1, "datapackage.json", "'../../Evil'")
    refused(run_cli("diff", str(release), str(release), env=guard), 2, "is not a table name")


def test_checksums_naming_a_file_outside(release: Path, guard: dict[str, str]) -> None:
    sums = release / "SHA256SUMS"
    sums.write_text(sums.read_text() + "0" * 64 + "  ../../../etc/passwd\n", encoding="ascii")
    refused(run_cli("verify", str(release), env=guard), 1, "SHA256SUMS", "'../../../etc/passwd'")


# --- only regular files ----------------------------------------------------------------------


def test_fifo_as_data_file(release: Path, guard: dict[str, str]) -> None:
    for name in ("cities.parquet", "cities.json"):  # load reads one, diff the other
        (release / name).unlink()
        os.mkfifo(release / name)
    refused(
        load(release, guard, timeout=30),
        3,
        "cities.parquet",
        "a FIFO (named pipe), not a regular file",
    )
    out = run_cli("verify", str(release), env=guard, timeout=30)
    refused(out, 1, "UNSAFE", "cities.parquet", "a FIFO")
    out = run_cli("diff", str(release), str(release), env=guard, timeout=30)
    refused(out, 2, "cities.json", "a FIFO")


def test_fifo_as_descriptor(release: Path, guard: dict[str, str]) -> None:
    (release / "datapackage.json").unlink()
    os.mkfifo(release / "datapackage.json")
    refused(load(release, guard, timeout=30), 3, "datapackage.json", "a FIFO")
    refused(run_cli("verify", str(release), env=guard, timeout=30), 2, "datapackage.json", "FIFO")


def test_fifo_as_the_release(tmp_path: Path, guard: dict[str, str]) -> None:
    os.mkfifo(tmp_path / "release.zip")
    out = run_cli("verify", str(tmp_path / "release.zip"), env=guard, timeout=30)
    refused(out, 2, "release.zip", "a FIFO")
    refused(load(tmp_path / "release.zip", guard, timeout=30), 3, "release.zip", "a FIFO")


def test_folder_as_data_file(release: Path, guard: dict[str, str]) -> None:
    (release / "cities.parquet").unlink()
    (release / "cities.parquet").mkdir()
    refused(load(release, guard), 3, "cities.parquet", "a folder, not a regular file")


def test_symlink_to_a_device(release: Path, guard: dict[str, str]) -> None:
    (release / "cities.parquet").unlink()
    (release / "cities.parquet").symlink_to("/dev/zero")
    refused(load(release, guard, timeout=30), 3, "cities.parquet", "outside the folder")
    out = run_cli("verify", str(release), env=guard, timeout=30)
    refused(out, 1, "UNSAFE", "cities.parquet", "/dev/zero")


def test_symlink_to_an_outside_file_with_the_right_hash(
    release: Path, tmp_path: Path, guard: dict[str, str]
) -> None:
    """The target is byte for byte the real file: it is refused all the same."""
    (tmp_path / "outside").mkdir()
    target = tmp_path / "outside" / "cities.parquet"
    shutil.move(release / "cities.parquet", target)
    (release / "cities.parquet").symlink_to(target)
    out = run_cli("verify", str(release), env=guard)
    refused(out, 1, "UNSAFE", "cities.parquet", "a symlink to", "outside the folder")
    refused(load(release, guard), 3, "UnsafeFileError", "cities.parquet", "outside the folder")


def test_descriptor_symlinked_outside(release: Path, tmp_path: Path, guard: dict[str, str]) -> None:
    shutil.move(release / "datapackage.json", tmp_path / "elsewhere.json")
    (release / "datapackage.json").symlink_to(tmp_path / "elsewhere.json")
    refused(run_cli("verify", str(release), env=guard), 2, "datapackage.json", "outside the")
    refused(load(release, guard), 3, "datapackage.json", "outside the folder")


def test_symlink_inside_the_release_is_followed(release: Path, guard: dict[str, str]) -> None:
    (release / "sub").mkdir()
    shutil.move(release / "cities.parquet", release / "sub" / "real.parquet")
    (release / "cities.parquet").symlink_to("sub/real.parquet")
    out = load(release, guard)
    assert out.code == 0 and "loaded" in out.stdout, out.output


# --- bounded reads ---------------------------------------------------------------------------


def _patch_sizes(path: Path, member: str, size: int) -> None:
    """Make the zip's local and central headers claim ``size`` bytes for ``member``."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        offset = zf.getinfo(member).header_offset
    data[offset + 22 : offset + 26] = size.to_bytes(4, "little")
    name = member.encode()
    i = data.find(b"PK\x01\x02")
    while i != -1:
        if data[i + 46 : i + 46 + len(name)] == name:
            data[i + 24 : i + 28] = size.to_bytes(4, "little")
        i = data.find(b"PK\x01\x02", i + 4)
    path.write_bytes(bytes(data))


def _bomb_zip(release: Path, dest: Path, *, recorded: int | None) -> Path:
    """The release as a zip whose cities.parquet is BOMB zeros, deflated (about 200 kB).

    ``recorded``: the size its descriptor records (None: keep the real file's).
    """
    if recorded is not None:
        edit_descriptor(
            release, lambda d: resource(d, "cities.parquet").update({"zonedata:bytes": recorded})
        )
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(release.iterdir()):
            if p.name != "cities.parquet":
                zf.write(p, f"{STEM}/{p.name}")
        with zf.open(f"{STEM}/cities.parquet", "w") as f:
            chunk = bytes(1 << 20)
            for _ in range(BOMB >> 20):
                f.write(chunk)
    return dest


def test_zip_bomb_with_a_lying_header(release: Path, tmp_path: Path, guard: dict[str, str]) -> None:
    """A 200 MB member whose headers claim the recorded 4-odd kB: read no further."""
    real = (release / "cities.parquet").stat().st_size
    bomb = _bomb_zip(release, tmp_path / "bomb.zip", recorded=None)
    _patch_sizes(bomb, f"{STEM}/cities.parquet", real)
    assert bomb.stat().st_size < 2_000_000
    start = time.monotonic()
    out = load(bomb, guard, timeout=30, memory=1 << 30)
    refused(out, 3, "cities.parquet", "damaged in the zip")
    refused(run_cli("verify", str(bomb), env=guard, timeout=30), 1, "ALTERED", "cities.parquet")
    assert time.monotonic() - start < 25


def test_zip_bomb_with_an_honest_header(
    release: Path, tmp_path: Path, guard: dict[str, str]
) -> None:
    """Headers and descriptor agree on 200 MB from 200 kB: refused by its ratio, unread."""
    bomb = _bomb_zip(release, tmp_path / "bomb.zip", recorded=BOMB)
    out = load(bomb, guard, timeout=30, memory=1 << 30)
    refused(out, 3, "cities.parquet", "zip bomb")
    refused(run_cli("verify", str(bomb), env=guard, timeout=30), 1, "cities.parquet", "zip bomb")


def test_huge_sparse_file_is_not_read(release: Path, guard: dict[str, str]) -> None:
    with open(release / "cities.parquet", "r+b") as f:
        f.truncate(4 << 30)  # 4 GiB, sparse: reading it would exhaust the memory limit
    refused(load(release, guard, memory=1 << 30), 3, "cities.parquet", "larger than")
    out = run_cli("verify", str(release), env=guard, memory=1 << 30)
    refused(out, 1, "SIZE", "cities.parquet", "4294967296 bytes")


def test_oversized_descriptor(release: Path, guard: dict[str, str]) -> None:
    path = release / "datapackage.json"
    path.write_bytes(path.read_bytes() + b" " * (33 << 20))
    refused(run_cli("verify", str(release), env=guard), 2, "datapackage.json", "larger than")
    refused(load(release, guard), 3, "datapackage.json", "larger than")


def test_deeply_nested_descriptor(release: Path, guard: dict[str, str]) -> None:
    depth = 200_000
    (release / "datapackage.json").write_text(
        '{"resources": [], "x": ' + "[" * depth + "]" * depth + "}", encoding="utf-8"
    )
    refused(run_cli("verify", str(release), env=guard), 2, "datapackage.json", "nested")
    refused(load(release, guard), 3, "NotAReleaseError", "datapackage.json", "nested")
    out = run_cli("diff", str(release), str(release), env=guard)
    refused(out, 2, "datapackage.json", "nested")


def test_diff_refuses_an_altered_parquet(release: Path, guard: dict[str, str]) -> None:
    other = release.parent / "other"
    shutil.copytree(release, other)
    edit_descriptor(
        other, lambda d: d.update(resources=[r for r in d["resources"] if r["format"] != "json"])
    )
    path = other / "zones.parquet"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    out = run_cli("diff", str(release), str(other), env=guard)
    refused(out, 2, "zones.parquet", "SHA-256 mismatch")
    assert "No differences" not in out.output


# --- downloads -------------------------------------------------------------------------------

Route = Callable[[http.server.BaseHTTPRequestHandler], None]


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        try:
            route = self.server.routes.get(self.path)
            if route is not None:
                route(self)
                return
            name = self.path.lstrip("/")
            target = self.server.root / name
            if ".." in name.split("/") or not target.is_file():
                self.send_error(404)
                return
            body = target.read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    root: Path
    routes: dict[str, Route]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[_Server]:
    """An HTTP server on 127.0.0.1 serving ``tmp_path`` and the routes a test sets."""
    srv = _Server(("127.0.0.1", 0), _Handler)
    srv.root = tmp_path
    srv.routes = {}
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join(5)


def base(srv: _Server, host: str = "127.0.0.1") -> str:
    return f"http://{host}:{srv.server_address[1]}/"


def drip_body(h: http.server.BaseHTTPRequestHandler) -> None:
    """Headers at once, then one byte every second (at most 40)."""
    h.send_response(200)
    h.end_headers()
    for _ in range(40):
        h.wfile.write(b"x")
        h.wfile.flush()
        time.sleep(1)


def drip_headers(h: http.server.BaseHTTPRequestHandler) -> None:
    """The status line, then one header byte every second (at most 40)."""
    h.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
    for _ in range(40):
        h.wfile.write(b"a")
        h.wfile.flush()
        time.sleep(1)


def endless(h: http.server.BaseHTTPRequestHandler) -> None:
    """A body without length, 64 kB at a time, up to 512 MB."""
    h.send_response(200)
    h.end_headers()
    chunk = b"\0" * 65536
    for _ in range(8192):
        h.wfile.write(chunk)


def redirect(location: str) -> Route:
    def route(h: http.server.BaseHTTPRequestHandler) -> None:
        h.send_response(302)
        h.send_header("Location", location)
        h.send_header("Content-Length", "0")
        h.end_headers()

    return route


def test_download_slow_drip_body_hits_the_deadline(
    release: Path, server: _Server, guard: dict[str, str]
) -> None:
    server.routes[f"/{STEM}/cities.parquet"] = drip_body
    env = {**guard, "ZONEDATA_DOWNLOAD_DEADLINE": "3"}
    start = time.monotonic()
    out = load(base(server) + STEM + "/", env, timeout=30)
    refused(out, 3, "DownloadError", "cities.parquet", "deadline")
    assert time.monotonic() - start < 15


def test_download_slow_drip_headers_hit_the_deadline(
    release: Path, server: _Server, guard: dict[str, str]
) -> None:
    server.routes[f"/{STEM}/datapackage.json"] = drip_headers
    env = {**guard, "ZONEDATA_DOWNLOAD_DEADLINE": "3"}
    start = time.monotonic()
    out = load(base(server) + STEM + "/", env, timeout=30)
    refused(out, 3, "DownloadError", "datapackage.json", "deadline")
    assert time.monotonic() - start < 15


def test_download_endless_body_without_recorded_size(
    release: Path, server: _Server, guard: dict[str, str]
) -> None:
    edit_descriptor(release, lambda d: resource(d, "cities.parquet").pop("zonedata:bytes"))
    server.routes[f"/{STEM}/cities.parquet"] = endless
    env = {**guard, "ZONEDATA_MAX_FILE_BYTES": str(1 << 20)}
    out = load(base(server) + STEM + "/", env, timeout=30, memory=1 << 30)
    refused(out, 3, "DownloadError", "cities.parquet", "1048576-byte cap")


def test_download_endless_body_with_recorded_size(
    release: Path, server: _Server, guard: dict[str, str]
) -> None:
    server.routes[f"/{STEM}/cities.parquet"] = endless
    out = load(base(server) + STEM + "/", guard, timeout=30, memory=1 << 30)
    refused(out, 3, "IntegrityError", "cities.parquet", "size mismatch")
    assert not list((Path(guard["ZONEDATA_CACHE"])).rglob("cities.parquet"))


def test_endless_descriptor(server: _Server, guard: dict[str, str]) -> None:
    server.routes["/rel/datapackage.json"] = endless
    out = load(base(server) + "rel/", guard, timeout=30, memory=1 << 30)
    refused(out, 3, "DownloadError", "datapackage.json", "cap")


def test_redirect_to_ftp_is_refused(release: Path, server: _Server, guard: dict[str, str]) -> None:
    server.routes[f"/{STEM}/cities.parquet"] = redirect("ftp://127.0.0.1/cities.parquet")
    out = load(base(server) + STEM + "/", guard, timeout=30)
    refused(out, 3, "DownloadError", "cities.parquet", "only http(s) redirects")


def test_redirect_to_another_host(release: Path, server: _Server, guard: dict[str, str]) -> None:
    other = base(server, "localhost") + f"{STEM}/real-cities.parquet"
    shutil.copy(release / "cities.parquet", release / "real-cities.parquet")
    server.routes[f"/{STEM}/cities.parquet"] = redirect(other)
    url = base(server) + STEM + "/"
    refused(load(url, guard, timeout=30), 3, "DownloadError", "another host", "localhost")
    allowed = {**guard, "ZONEDATA_ALLOW_REDIRECT_HOSTS": "localhost"}
    out = load(url, allowed, timeout=30)
    assert out.code == 0 and "loaded" in out.stdout, out.output
    # the same host is followed without being allowed
    server.routes[f"/{STEM}/zones.parquet"] = redirect(f"/{STEM}/real-cities.parquet")
    refused(load(url, guard, name="zones", timeout=30), 3, "zones.parquet", "mismatch")


def test_planted_cache_file_is_never_used(
    release: Path, server: _Server, guard: dict[str, str]
) -> None:
    url = base(server) + STEM + "/"
    assert load(url, guard).code == 0  # fills the cache
    [cached] = Path(guard["ZONEDATA_CACHE"]).rglob("cities.parquet")
    real = cached.read_bytes()
    planted = bytearray(real)
    planted[len(planted) // 2] ^= 0xFF
    cached.write_bytes(bytes(planted))  # same size, other bytes
    out = load(url, guard)
    assert out.code == 0, out.output
    assert cached.read_bytes() == real  # downloaded again, verified, replaced
    cached.write_bytes(bytes(planted))
    (release / "cities.parquet").unlink()  # now the server cannot help
    refused(load(url, guard), 3, "DownloadError", "cities.parquet", "404")
    assert not cached.exists()


def test_planted_fifo_in_the_cache_is_refused(
    release: Path, server: _Server, tmp_path: Path, guard: dict[str, str]
) -> None:
    url = base(server) + STEM + "/"
    assert load(url, guard).code == 0
    [cached] = Path(guard["ZONEDATA_CACHE"]).rglob("cities.parquet")
    cached.unlink()
    os.mkfifo(cached)
    refused(load(url, guard, timeout=30), 3, "cities.parquet", "a FIFO")


def test_shared_cache_folder_is_refused(
    release: Path, server: _Server, tmp_path: Path, guard: dict[str, str]
) -> None:
    cache = Path(guard["ZONEDATA_CACHE"])
    cache.mkdir()
    cache.chmod(0o777)
    refused(load(base(server) + STEM + "/", guard), 3, str(cache), "writable by others")
    cache.chmod(0o700)
    assert load(base(server) + STEM + "/", guard).code == 0
    for p in [cache, *(q for q in cache.rglob("*") if q.is_dir())]:
        assert stat.S_IMODE(p.stat().st_mode) & 0o077 == 0, p


def test_validate_allow_remote_keeps_a_hostile_name_inside_its_temp_folder(
    package_copy: Path, server: _Server, tmp_path: Path, guard: dict[str, str]
) -> None:
    d = json.loads((package_copy / "datapackage.json").read_text(encoding="utf-8"))
    r = next(r for r in d["resources"] if r["name"] == "cities")
    shutil.copy(package_copy / r["path"], tmp_path / "served-cities.csv")
    r["name"] = "../../escape"
    r["path"] = base(server) + "served-cities.csv"
    (package_copy / "datapackage.json").write_text(json.dumps(d), encoding="utf-8")
    work = tmp_path / "tmp" / "a" / "b"
    work.mkdir(parents=True)
    env = {**guard, "TMPDIR": str(work)}
    out = run_cli("validate", str(package_copy), "--allow-remote", env=env, timeout=60)
    assert "Traceback" not in out.output
    assert out.code in (0, 1), out.output
    # the name is an identifier, never a path: the download is named by its URL's hash
    assert not list(tmp_path.rglob("escape*")), list(tmp_path.rglob("escape*"))
    # a remote resource with a safe name: its endless body is capped
    r["name"] = "cities"
    (package_copy / "datapackage.json").write_text(json.dumps(d), encoding="utf-8")
    server.routes["/served-cities.csv"] = endless
    env["ZONEDATA_MAX_FILE_BYTES"] = str(1 << 20)
    out = run_cli("validate", str(package_copy), "--allow-remote", env=env, timeout=60)
    refused(out, 1, "served-cities.csv", "cap")


def test_unreachable_port_is_a_clean_download_error(guard: dict[str, str]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = load(f"http://127.0.0.1:{port}/rel/", guard, timeout=30)
    refused(out, 3, "DownloadError", "cannot download")


def test_descriptor_with_a_huge_integer(release: Path, guard: dict[str, str]) -> None:
    (release / "datapackage.json").write_text(
        '{"resources": [], "x": ' + "9" * 100_000 + "}", encoding="utf-8"
    )
    refused(run_cli("verify", str(release), env=guard), 2, "datapackage.json", "not a valid")
    refused(load(release, guard), 3, "NotAReleaseError", "datapackage.json")


def test_resource_that_is_not_an_object(release: Path, guard: dict[str, str]) -> None:
    edit_descriptor(release, lambda d: d["resources"].append(5))
    refused(run_cli("verify", str(release), env=guard), 2, "datapackage.json", "is not an object")
    refused(load(release, guard), 3, "NotAReleaseError", "is not an object")


@pytest.mark.parametrize(
    ("where", "words"),
    [
        ("http://[::1/x/", ("NotAReleaseError", "not a valid URL")),
        ("http://127.0.0.1:99999/x/", ("NotAReleaseError", "not a valid URL")),
        ("rel\x00ease", ("NotAReleaseError", "not a usable path")),
    ],
    ids=["ipv6-unclosed", "port-out-of-range", "nul-in-path"],
)
def test_malformed_release_location(guard: dict[str, str], where: str, words: tuple[str]) -> None:
    refused(load(where, guard), 3, *words)


def test_central_directory_that_lies_about_a_compressed_size(
    release: Path, guard: dict[str, str]
) -> None:
    path = release.parent / f"{STEM}.zip"
    data = bytearray(path.read_bytes())
    i = data.find(b"PK\x01\x02")
    size = int.from_bytes(data[i + 20 : i + 24], "little")
    data[i + 20 : i + 24] = (size + 5).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    words = ("is not a sound zip", f"records {size + 5} bytes compressed")
    refused(run_cli("verify", str(path), env=guard), 2, str(path), *words)
    refused(load(path, guard), 3, "NotAReleaseError", *words)


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (
            lambda d: d["resources"].append(dict(resource(d, "cities.parquet"))),
            "describes 'cities.parquet' a second time",
        ),
        (
            lambda d: resource(d, "cities.parquet")["schema"]["fields"][1].update(type="hologram"),
            "has a field of type 'hologram', which no zonedata release writes",
        ),
    ],
    ids=["same-path-twice", "unknown-field-type"],
)
def test_descriptor_no_release_writes(
    release: Path,
    tmp_path: Path,
    guard: dict[str, str],
    change: Callable[[dict[str, Any]], None],
    why: str,
) -> None:
    """Found by the wider sweep: verify said OK, load loaded and diff saw no difference."""
    pristine_copy = tmp_path / "pristine"
    shutil.copytree(release, pristine_copy)
    edit_descriptor(release, change)
    refused(run_cli("verify", str(release), env=guard), 2, "datapackage.json", why)
    refused(load(release, guard), 3, "NotAReleaseError", why)
    refused(run_cli("diff", str(pristine_copy), str(release), env=guard), 2, why)


def test_encrypted_zip_member(release: Path, tmp_path: Path, guard: dict[str, str]) -> None:
    """A member flagged as encrypted: zipfile would raise RuntimeError; a clean refusal."""
    path = release.parent / f"{STEM}.zip"
    data = bytearray(path.read_bytes())
    name = f"{STEM}/cities.parquet".encode()
    i = data.find(b"PK\x01\x02")
    while i != -1:
        if data[i + 46 : i + 46 + len(name)] == name:
            data[i + 8] |= 0x01  # general purpose flag: encrypted
        i = data.find(b"PK\x01\x02", i + 4)
    path.write_bytes(bytes(data))
    refused(load(path, guard), 3, "cities.parquet", "encrypted")
    refused(run_cli("verify", str(path), env=guard), 1, "UNREADABLE", "cities.parquet")


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to give the folder away"
)
def test_cache_folder_owned_by_another_user_is_refused(
    release: Path, server: _Server, guard: dict[str, str]
) -> None:
    cache = Path(guard["ZONEDATA_CACHE"])
    cache.mkdir(mode=0o700)
    os.chown(cache, 54321, 54321)
    refused(load(base(server) + STEM + "/", guard), 3, str(cache), "owned by user 54321")
    os.chown(cache, os.getuid(), os.getgid())
    assert load(base(server) + STEM + "/", guard).code == 0


def test_zip_with_too_many_entries(tmp_path: Path, guard: dict[str, str]) -> None:
    """70,000 empty entries: refused from the end record, before the directory is parsed."""
    path = tmp_path / "many.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(f"{STEM}/datapackage.json", '{"resources": []}')
        for i in range(70_000):
            zf.writestr(f"{STEM}/{i}", b"")
    refused(run_cli("verify", str(path), env=guard), 2, "many.zip", "entries")
    refused(load(path, guard), 3, "NotAReleaseError", "many.zip", "entries")


def test_empty_zip_is_not_a_release(tmp_path: Path, guard: dict[str, str]) -> None:
    path = tmp_path / "e.zip"
    zipfile.ZipFile(path, "w").close()
    refused(run_cli("verify", str(path), env=guard), 2, "e.zip", "not a release zip")
    refused(load(path, guard), 3, "NotAReleaseError", "e.zip")


def short_body(release: Path, extra: int, *, twice: bool = False) -> Route:
    """The real file, announced as ``extra`` bytes longer (or with two lengths)."""

    def route(h: http.server.BaseHTTPRequestHandler) -> None:
        body = (release / "cities.parquet").read_bytes()
        h.send_response(200)
        h.send_header("Content-Length", str(len(body) + extra))
        if twice:
            h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    return route


def test_download_shorter_than_its_content_length(
    release: Path, server: _Server, guard: dict[str, str]
) -> None:
    # without a recorded size (as validate --allow-remote reads a source package's files)
    edit_descriptor(release, lambda d: resource(d, "cities.parquet").pop("zonedata:bytes"))
    server.routes[f"/{STEM}/cities.parquet"] = short_body(release, 100_000)
    out = load(base(server) + STEM + "/", guard, timeout=30)
    refused(out, 3, "DownloadError", "cities.parquet", "incomplete: got")
    assert not list((Path(guard["ZONEDATA_CACHE"])).rglob("cities.parquet"))


def test_download_with_conflicting_content_lengths(
    release: Path, server: _Server, guard: dict[str, str]
) -> None:
    server.routes[f"/{STEM}/cities.parquet"] = short_body(release, 0, twice=True)
    assert load(base(server) + STEM + "/", guard, timeout=30).code == 0
    server.routes[f"/{STEM}/cities.parquet"] = short_body(release, 7, twice=True)
    shutil.rmtree(guard["ZONEDATA_CACHE"])
    out = load(base(server) + STEM + "/", guard, timeout=30)
    refused(out, 3, "DownloadError", "cities.parquet", "conflicting Content-Length")


def _parquet_rows(release: Path, how: str) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = release / "cities.parquet"
    t = pq.read_table(path)
    if how == "twice":
        pq.write_table(pa.concat_tables([t, t]), path)
    elif how == "none":
        pq.write_table(t.slice(0, 0), path)
    else:  # the JSON twin gets one row more
        rows = json.loads((release / "cities.json").read_text(encoding="utf-8"))
        rows.append(dict(rows[0], city_id="zz"))
        (release / "cities.json").write_text(json.dumps(rows, ensure_ascii=False), "utf-8")


@pytest.mark.parametrize("how", ["twice", "none", "json-extra-row"])
def test_parquet_and_json_with_different_row_counts(
    release: Path, guard: dict[str, str], how: str
) -> None:
    """Consistent hashes: a located problem (exit 1), not 'Length mismatch'."""
    _parquet_rows(release, how)
    rehash(release)
    refused(run_cli("verify", str(release), env=guard), 1, "cities.json", "differs from")


def test_deeply_nested_json_table_file(release: Path, guard: dict[str, str]) -> None:
    (release / "cities.json").write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")
    rehash(release)
    refused(run_cli("verify", str(release), env=guard), 1, "cities.json", "nested too deeply")


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("hash", 5),
        ("hash", "sha256:" + "g" * 64),
        ("hash", "md5:" + "0" * 32),
        ("zonedata:bytes", "4422"),
        ("bytes", 4422.0),
    ],
    ids=["hash-number", "hash-not-hex", "hash-md5", "size-string", "size-float"],
)
def test_malformed_hash_or_size_fails_verify(
    release: Path, guard: dict[str, str], key: str, value: object
) -> None:
    edit_descriptor(release, lambda d: resource(d, "cities.parquet").__setitem__(key, value))
    rehash_sums_only(release)
    refused(run_cli("verify", str(release), env=guard), 1, "datapackage.json", "'cities'")
    refused(load(release, guard), 3, "ReleaseError", "'cities'")


def rehash_sums_only(release: Path) -> None:
    import hashlib

    names = sorted(p.name for p in release.iterdir() if p.name != "SHA256SUMS")
    (release / "SHA256SUMS").write_text(
        "".join(f"{hashlib.sha256((release / n).read_bytes()).hexdigest()}  {n}\n" for n in names),
        encoding="ascii",
    )


def test_release_without_tables_fails_verify(release: Path, guard: dict[str, str]) -> None:
    edit_descriptor(release, lambda d: d.update(resources=[]))
    for p in release.iterdir():
        if p.name not in ("datapackage.json", "SHA256SUMS"):
            p.unlink()
    rehash_sums_only(release)
    refused(run_cli("verify", str(release), env=guard), 1, "datapackage.json", "no tables")


def test_source_package_is_not_a_release(release: Path, guard: dict[str, str]) -> None:
    words = ("not a release", "zonedata validate")
    refused(run_cli("verify", str(PACKAGE.parent), env=guard), 2, *words)
    refused(run_cli("diff", str(release), str(PACKAGE.parent), env=guard), 2, *words)
    refused(run_cli("diff", str(PACKAGE.parent), str(release), env=guard), 2, *words)


@pytest.mark.parametrize("how", ["twice", "other-table"])
def test_diff_refuses_a_parquet_that_disagrees_with_its_json(
    release: Path, guard: dict[str, str], how: str
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    other = release.parent / "other"
    shutil.copytree(release, other)
    if how == "twice":
        _parquet_rows(other, "twice")
    else:
        pq.write_table(pa.table({"x": [1, 2], "y": ["a", "b"]}), other / "cities.parquet")
    rehash(other)
    out = run_cli("diff", str(release), str(other), env=guard)
    refused(out, 2, "cities.parquet", "does not match", "zonedata verify")
    assert "No differences" not in out.output


def _bomb_parquet(release: Path, how: str) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = release / "cities.parquet"
    if how == "big-strings":  # 4000 rows of one 100 KiB string: under 1 KB, 800 MB decoded
        big = pa.DictionaryArray.from_arrays(pa.array([0] * 4000), pa.array(["x" * (100 << 10)]))
        columns = pq.read_schema(path).names  # every column, so only the size is wrong
        pq.write_table(pa.table(dict.fromkeys(columns, big)), path, compression="zstd")
    elif how == "plain-strings":  # 300 rows of 1 MiB strings, not dictionary-encoded
        big = pa.array(["x" * (1 << 20)] * 300)
        t = pa.table({"city_id": big})
        pq.write_table(t, path, compression="zstd", use_dictionary=False)
    elif how == "footer":  # 17 MiB of metadata
        t = pq.read_table(path).replace_schema_metadata({"x": "a" * (17 << 20)})
        pq.write_table(t, path)
    rehash(release)


@pytest.mark.parametrize(
    ("how", "env", "words"),
    [
        ("big-strings", {}, "decodes to more than"),
        ("plain-strings", {"ZONEDATA_MAX_FILE_BYTES": str(100 << 20)}, "uncompressed"),
        ("footer", {}, "its metadata is"),
        ("rows", {"ZONEDATA_MAX_ROWS": "10"}, "rows (at most 10"),
    ],
    ids=["dictionary-bomb", "zstd-bomb", "huge-footer", "row-cap"],
)
def test_parquet_over_the_caps_is_refused_before_it_is_read(
    release: Path, guard: dict[str, str], how: str, env: dict[str, str], words: str
) -> None:
    _bomb_parquet(release, how)
    env = {**guard, **env}
    out = run_cli("verify", str(release), env=env, memory=1 << 30)
    # verify and load compare the footer's schema first: a dictionary-encoded bomb is
    # refused for its types before any row is decoded
    if how == "big-strings":  # a dictionary column where the release writes strings
        refused(out, 1, "cities.parquet", "SCHEMA")
        refused(load(release, env, memory=1 << 30), 3, "cities.parquet", "dictionary")
        return
    refused(out, 1, "cities.parquet", words)
    refused(load(release, env, memory=1 << 30), 3, "IntegrityError", "cities.parquet", words)


def test_zip_holding_a_file_twice_is_refused(
    release: Path, tmp_path: Path, guard: dict[str, str]
) -> None:
    path = tmp_path / "twice.zip"
    with zipfile.ZipFile(release.parent / f"{STEM}.zip") as src, zipfile.ZipFile(path, "w") as zf:
        for info in src.infolist():
            zf.writestr(info, src.read(info))
        with pytest.warns(UserWarning, match="Duplicate name"):
            zf.writestr(f"{STEM}/cities.parquet", src.read(f"{STEM}/cities.parquet"))
    words = ("cities.parquet more than once",)
    refused(run_cli("verify", str(path), env=guard), 1, *words)
    refused(load(path, guard), 3, "NotAReleaseError", *words)
    out = run_cli("diff", str(release), str(path), env=guard)
    refused(out, 2, *words)
    assert "No differences" not in out.output


@pytest.mark.parametrize("where", ["before", "after", "between"])
def test_a_zip_with_bytes_outside_its_members_is_refused(
    release: Path, tmp_path: Path, guard: dict[str, str], where: str
) -> None:
    """A second zip glued in front (read by streaming readers, not by the central
    directory's), or bytes after the end record or between members, make readers disagree:
    refused by verify, load and diff, whatever the hashes say."""
    genuine = (release.parent / f"{STEM}.zip").read_bytes()
    evil = io.BytesIO()
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr(f"{STEM}/cities.csv", 'city_id\n=HYPERLINK("http://evil")\n')
    if where == "before":
        data = evil.getvalue() + genuine
    elif where == "after":
        data = genuine + b"junk"
    else:  # a stray local header between the first member's data and the second member
        with zipfile.ZipFile(io.BytesIO(genuine)) as zf:
            second = sorted(i.header_offset for i in zf.infolist())[1]
        data = genuine[:second] + b"PK\x03\x04junk" + genuine[second:]
    path = tmp_path / f"{STEM}.zip"
    path.write_bytes(data)
    out = run_cli("verify", str(path), env=guard)
    assert out.code in (1, 2) and "not a sound zip" in out.output, out.output
    refused(load(path, guard), 3, "NotAReleaseError", "not a sound zip")
