"""Download one file over http(s), bounded in size, time and where it may redirect.

The one downloader: ``validate --allow-remote`` fetches remote resources with it and the
release reader (``load(release="https://...")``) fetches release files with it.

- Each download has an overall deadline (the whole transfer, not each read: a server
  that sends one byte every few seconds is cut off at the deadline):
  ``Limits.download_deadline`` (``ZONEDATA_DOWNLOAD_DEADLINE``).
- Each download has a size cap, given by the caller (the size a descriptor records, or
  ``Limits.max_file_bytes``).
- Redirects are followed only to ``http``/``https`` URLs on the same host and port (an
  ``http`` to ``https`` upgrade on the same host is allowed), at most
  ``Limits.max_redirects``. A redirect to another host or port is refused unless that
  host is allowed: ``ZONEDATA_ALLOW_REDIRECT_HOSTS`` (comma-separated host names, or
  ``*`` for any).

Only the standard library is used.
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import re
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import IO, Any

from zonedata.errors import DownloadError, IntegrityError, ReleaseError
from zonedata.limits import Limits, env_of

#: Seconds to wait for a connection or for any one read (within the deadline).
READ_TIMEOUT = 30.0
_CHUNK = 1 << 16
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def _deadline_text(limits: Limits) -> str:
    return f"{limits.download_deadline:g} s; set {env_of('download_deadline')} to change it"


def _user_agent() -> str:
    from importlib import metadata

    try:
        return f"zonedata/{metadata.version('zonedata')}"
    except metadata.PackageNotFoundError:
        return "zonedata"


class _Watch:
    """The deadline of one download: at expiry, every socket it opened is shut down."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expires = time.monotonic() + seconds
        self.expired = False
        self._socks: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        with self._lock:
            self.expired = True
            for s in self._socks:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def add(self, sock: socket.socket) -> socket.socket:
        with self._lock:
            self._socks.append(sock)
            if self.expired:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
        return sock

    def remaining(self) -> float:
        return self.expires - time.monotonic()

    def cancel(self) -> None:
        self._timer.cancel()


def _watched(watch: _Watch) -> Callable[..., socket.socket]:
    """``socket.create_connection`` that hands each new socket to ``watch``."""

    def create(*args: Any, **kw: Any) -> socket.socket:
        return watch.add(socket.create_connection(*args, **kw))

    return create


class _HTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args: Any, watch: _Watch, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._create_connection = _watched(watch)  # http.client's hook for the socket


class _HTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args: Any, watch: _Watch, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._create_connection = _watched(watch)  # http.client's hook for the socket


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, watch: _Watch) -> None:
        super().__init__()
        self.watch = watch

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(functools.partial(_HTTPConnection, watch=self.watch), req)  # type: ignore[arg-type]


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, watch: _Watch) -> None:
        import ssl

        self.context = ssl.create_default_context()
        super().__init__(context=self.context)
        self.watch = watch

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(  # type: ignore[arg-type]
            functools.partial(_HTTPSConnection, watch=self.watch), req, context=self.context
        )


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = -1
    return scheme, (parts.hostname or "").lower(), port


def same_host(a: str, b: str) -> bool:
    """Whether ``b`` is on ``a``'s host and port (or an http -> https upgrade of it)."""
    sa, ha, pa = _origin(a)
    sb, hb, pb = _origin(b)
    default = {"http": 80, "https": 443}
    pa = pa if pa is not None else default.get(sa)
    pb = pb if pb is not None else default.get(sb)
    if ha != hb:
        return False
    if sa == sb:
        return pa == pb
    return (sa, pa, sb, pb) == ("http", 80, "https", 443)


class _Redirects(urllib.request.HTTPRedirectHandler):
    def __init__(self, allowed: frozenset[str], most: int) -> None:
        super().__init__()
        self.allowed = allowed
        self.max_redirections = most  # type: ignore[misc]

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        old = req.full_url
        scheme, host, _ = _origin(newurl)
        refusal = ""
        if scheme not in ("http", "https"):
            refusal = f"redirected to {newurl!r}: only http(s) redirects are followed"
        elif not same_host(old, newurl) and "*" not in self.allowed and host not in self.allowed:
            refusal = f"redirected to {_elsewhere(old, newurl)} ({newurl}); refused"
            if host != _origin(old)[1]:
                refusal += (
                    f": allow it with {env_of('allow_redirect_hosts')}={host} "
                    "(or allow_redirect_hosts=)"
                )
        if refusal:
            fp.close()
            raise DownloadError(f"cannot download {old}: {refusal}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _elsewhere(old: str, new: str) -> str:
    """What differs between two origins, in words: another host, or another port."""
    return "another port" if _origin(old)[1] == _origin(new)[1] else "another host"


def download(url: str, *, limit: int, limits: Limits, recorded: bool = False) -> bytes:
    """The body at ``url``: at most ``limit`` bytes, within the download deadline.

    ``recorded``: ``limit`` is the size the descriptor records, so a longer body is an
    :class:`IntegrityError` rather than a :class:`DownloadError`.
    """
    if not _SCHEME.match(url) or url.split("://", 1)[0].lower() not in ("http", "https"):
        raise DownloadError(f"cannot download {url}: only http(s) URLs are read")
    watch = _Watch(limits.download_deadline)
    opener = urllib.request.build_opener(
        _HTTPHandler(watch),
        _HTTPSHandler(watch),
        _Redirects(limits.allow_redirect_hosts, limits.max_redirects),
    )
    request = urllib.request.Request(url, headers={"User-Agent": _user_agent()})
    late = f"cannot download {url}: the download deadline ({_deadline_text(limits)}) passed"
    buf = bytearray()
    length = ""
    try:
        with opener.open(request, timeout=min(READ_TIMEOUT, limits.download_deadline)) as response:
            lengths = {v.strip() for v in response.headers.get_all("Content-Length") or ()}
            if len(lengths) > 1:
                shown = ", ".join(sorted(lengths))[:200]
                raise DownloadError(
                    f"cannot download {url}: the server sends conflicting Content-Length "
                    f"headers ({shown}); refused"
                )
            # a chunked body ignores Content-Length (http.client reads the chunks)
            length = "" if getattr(response, "chunked", False) else next(iter(lengths), "")
            if length and not (length.isascii() and length.isdigit()):
                raise DownloadError(
                    f"cannot download {url}: invalid Content-Length {length[:40]!r}; refused"
                )
            if length and int(length) > limit:
                raise _too_large(url, limit, recorded, f"it announces {length} bytes")
            while True:
                if watch.remaining() <= 0:
                    raise DownloadError(late)
                chunk = response.read1(min(_CHUNK, limit + 1 - len(buf)))
                if not chunk:
                    break
                buf += chunk
                if len(buf) > limit:
                    raise _too_large(url, limit, recorded, f"it sends more than {limit} bytes")
    except (DownloadError, IntegrityError):
        if watch.expired:
            raise DownloadError(late) from None
        raise
    except urllib.error.HTTPError as e:
        raise DownloadError(f"cannot download {url}: HTTP {e.code} {e.reason}") from None
    except urllib.error.URLError as e:
        if watch.expired:
            raise DownloadError(late) from None
        raise DownloadError(f"cannot download {url}: {e.reason}") from None
    except (OSError, ValueError, http.client.HTTPException) as e:
        if watch.expired:
            raise DownloadError(late) from None
        raise DownloadError(f"cannot download {url}: {e or type(e).__name__}") from None
    finally:
        watch.cancel()
    if watch.expired:
        raise DownloadError(late)
    if length and len(buf) != int(length):
        raise DownloadError(
            f"cannot download {url}: incomplete: got {len(buf)} of {length} bytes "
            "(the connection closed early)"
        )
    return bytes(buf)


def _too_large(url: str, limit: int, recorded: bool, actual: str) -> ReleaseError:
    if recorded:
        return IntegrityError(
            url,
            expected=f"{limit} bytes",
            actual=actual,
            what="size",
            detail=f"size mismatch: the release descriptor says {limit} bytes, {actual}; stopped",
        )
    return DownloadError(
        f"cannot download {url}: larger than the {limit}-byte cap ({actual}); stopped "
        f"(raise it with {env_of('max_file_bytes')})"
    )
