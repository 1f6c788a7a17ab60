"""The exceptions ``zonedata.load`` and friends raise.

Every one derives from :class:`ZonedataError`, so ``except zonedata.ZonedataError`` catches
them all; each also derives from the built-in exception a caller would expect
(``KeyError`` for an unknown table, ``ImportError`` for a missing optional dependency,
``ValueError`` for data that fails validation).

Only the standard library is used: this module is cheap to import.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


class ZonedataError(Exception):
    """Base class of every error raised by zonedata's loading API."""


class UnknownTableError(ZonedataError, KeyError):
    """The table name is not one of the package's (or the release's) tables."""

    def __init__(self, name: str, valid: Iterable[str], where: str = "the package") -> None:
        self.name = name
        self.valid: tuple[str, ...] = tuple(valid)
        self.where = where
        super().__init__(name)

    def __str__(self) -> str:  # KeyError would print the repr of its argument
        return f"unknown table {self.name!r} in {self.where}; valid tables: {', '.join(self.valid)}"


class MissingDependencyError(ZonedataError, ImportError):
    """An optional dependency needed for the requested feature is not installed."""

    def __init__(self, message: str, *, package: str, extra: str | None = None) -> None:
        self.package = package
        self.extra = extra
        super().__init__(message, name=package)

    def __str__(self) -> str:
        return str(self.msg)


class ReleaseError(ZonedataError):
    """A release folder, zip or URL cannot be read: missing files, a bad descriptor."""


class IntegrityError(ReleaseError):
    """A release file does not match the size or SHA-256 hash its descriptor records.

    The file is never used (nor, when downloaded, cached).
    """

    def __init__(
        self, file: str, *, expected: str, actual: str, what: str = "SHA-256", hint: str = ""
    ) -> None:
        self.file = file
        self.expected = expected
        self.actual = actual
        self.what = what
        super().__init__(
            f"{file}: {what} mismatch: the release descriptor says {expected}, "
            f"the file has {actual}; refusing to use it{hint}"
        )


class DownloadError(ReleaseError):
    """A release file could not be downloaded."""


class DataValidationError(ZonedataError, ValueError):
    """``load(..., validate=True)`` found data that breaks the table's schema or rules.

    ``problems`` holds one human-readable line per problem found.
    """

    def __init__(self, table: str, problems: Sequence[str]) -> None:
        self.table = table
        self.problems: tuple[str, ...] = tuple(problems)
        shown = "\n".join(f"  - {p}" for p in self.problems[:20])
        more = len(self.problems) - 20
        tail = f"\n  ... and {more} more" if more > 0 else ""
        super().__init__(
            f"table {table!r} failed validation with {len(self.problems)} problem(s):\n"
            f"{shown}{tail}"
        )
