"""Layer 1: the descriptor parses, follows the Data Package profile, and its paths are safe."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from zonedata.model.descriptor import DescriptorError, Package
from zonedata.validate.problems import Problem, make

REMOTE_SCHEMES = ("http", "https", "ftp", "s3", "gs")


def is_remote(path: str) -> bool:
    return urlparse(path).scheme.lower() in REMOTE_SCHEMES


def read_descriptor(path: Path, display: str) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Parse the JSON; problems here mean the input is unreadable (exit 2)."""
    kw = {"path": display}
    if not path.exists():
        return None, [make("descriptor-missing", f"{display} does not exist.", **kw)]
    try:
        raw = path.read_bytes()
    except OSError as e:
        return None, [
            make("descriptor-missing", f"{display} cannot be read: {e.strerror or e}.", **kw)
        ]
    try:
        text = raw.decode("utf-8-sig")
        descriptor = json.loads(text)
    except UnicodeDecodeError as e:
        return None, [make("descriptor-json", f"{display} is not UTF-8 ({e.reason}).", **kw)]
    except json.JSONDecodeError as e:
        return None, [
            make(
                "descriptor-json",
                f"{display} is not valid JSON: {e.msg}.",
                line=e.lineno,
                column=e.colno,
                **kw,
            )
        ]
    if not isinstance(descriptor, dict):
        return None, [
            make(
                "descriptor-json",
                f"{display} must hold a JSON object, not {type(descriptor).__name__}.",
                line=1,
                **kw,
            )
        ]
    return descriptor, []


def check_profile(descriptor: dict[str, Any], display: str) -> list[Problem]:
    """Check the descriptor against the Data Package profile with frictionless."""
    from frictionless import FrictionlessException
    from frictionless import Package as FPackage

    kw = {"path": display}
    try:
        errors = list(FPackage.metadata_validate(descriptor))
    except FrictionlessException as e:
        return [
            make(
                "descriptor-profile",
                f"Descriptor does not follow the Data Package profile: {e.error.message}",
                **kw,
            )
        ]
    except Exception as e:  # frictionless may fail on deeply malformed input
        return [
            make(
                "descriptor-profile",
                f"Descriptor does not follow the Data Package profile: {e}",
                **kw,
            )
        ]
    return [
        make(
            "descriptor-profile",
            f"Descriptor does not follow the Data Package profile: {e.message}",
            **kw,
        )
        for e in errors
    ]


def check_engine(
    descriptor: dict[str, Any], base: Path, display: str
) -> tuple[Package | None, list[Problem]]:
    """Read the descriptor into the data model; report what the engine cannot use."""
    try:
        return Package.from_descriptor(descriptor, base), []
    except DescriptorError as e:
        return None, [make("descriptor-profile", f"Descriptor cannot be used: {e}.", path=display)]
    except (TypeError, AttributeError, ValueError) as e:
        return None, [make("descriptor-profile", f"Descriptor cannot be used: {e}.", path=display)]


def check_paths(package: Package, display: str, *, allow_remote: bool) -> list[Problem]:
    """Every resource path is relative and stays inside the package folder."""
    out: list[Problem] = []
    base = package.base_path.resolve()
    for t in package.tables:
        kw = {"path": display, "table": t.name, "value": t.path}
        p = t.path
        if is_remote(p):
            if not allow_remote:
                out.append(
                    make(
                        "path-remote",
                        f"Resource {t.name!r} points at a remote URL ({p}); "
                        "pass --allow-remote to fetch it.",
                        **kw,
                    )
                )
            continue
        if urlparse(p).scheme and len(urlparse(p).scheme) > 1:
            out.append(
                make(
                    "path-unsafe", f"Resource {t.name!r} has an unsupported URL scheme: {p}.", **kw
                )
            )
            continue
        if os.path.isabs(p) or p.startswith(("/", "\\")) or (len(p) > 1 and p[1] == ":"):
            out.append(
                make(
                    "path-unsafe",
                    f"Resource {t.name!r} has an absolute path ({p}); "
                    "paths must be relative to the package folder.",
                    **kw,
                )
            )
            continue
        parts = Path(p.replace("\\", "/")).parts
        if ".." in parts:
            out.append(
                make(
                    "path-unsafe",
                    f"Resource {t.name!r} path {p} contains '..'; "
                    "paths must stay inside the package folder.",
                    **kw,
                )
            )
            continue
        try:
            resolved = (base / p).resolve()
        except OSError:
            continue
        if not resolved.is_relative_to(base):
            out.append(
                make(
                    "path-unsafe",
                    f"Resource {t.name!r} path {p} resolves outside the package "
                    f"folder (to {resolved}), for example through a symlink.",
                    **kw,
                )
            )
    return out
