"""Every exception zonedata raises, in one tree rooted at :class:`ZonedataError`.

``except zonedata.ZonedataError`` catches them all; each also derives from the built-in
exception a caller would expect (``KeyError`` for an unknown table, ``ImportError`` for a
missing optional dependency, ``ValueError`` for data that fails validation)::

    ZonedataError
    ├── DescriptorError            a descriptor cannot be read or is not understood
    ├── JsonTextError              (also ValueError) a text is not strict JSON, at a line
    ├── InputError                 an input file cannot be read: missing, not a regular
    │                              file, outside its folder, too large
    ├── UnsafePathError            (also ValueError) a path is not plain relative, or
    │                              leaves its folder
    ├── TableReadError             a table frictionless reads (another format, dialect,
    │                              encoding, field type) cannot be read into its cells
    ├── CodegenError               the descriptor cannot be turned into Python names
    ├── SiteError                  the site cannot be built from this input
    ├── DocsError                  a document the package declares cannot be rendered
    ├── UnknownTableError          (also KeyError) no table of that name
    ├── MissingDependencyError     (also ImportError) an optional dependency is missing
    ├── DataValidationError        (also ValueError) load(..., validate=True) found problems
    ├── ValidationFailedError      the package has validation errors: no release built
    └── ReleaseError               a release cannot be built, read or compared
        ├── NotAReleaseError       the input is not a readable release folder, zip or URL
        ├── ReleaseExistsError     the release already exists and force was not given
        ├── UnsafeFileError        a release file is refused: a FIFO, device, folder, or a
        │                          symlink leaving the release; an unsafe name or path
        ├── IntegrityError         a file does not match its recorded size or SHA-256
        ├── DerivedTableError      a derived table's SQL is refused or its rows break its schema
        └── DownloadError          a release file could not be downloaded (HTTP error,
                                   deadline, size cap, refused redirect)

The old import paths (``zonedata.loading.errors``, ``zonedata.release.errors``,
``zonedata.descriptor.package.DescriptorError``) re-export these classes.

Only the standard library is used: this module is cheap to import.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from zonedata.problems import Problem


class ZonedataError(Exception):
    """Base class of every error zonedata raises."""


class DescriptorError(ZonedataError):
    """The descriptor cannot be read or does not describe tables this engine understands."""


class JsonTextError(ZonedataError, ValueError):
    """The text is not strict JSON; ``line`` and ``column`` are 1-based where known."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


class InputError(ZonedataError):
    """A file cannot be read as an input; ``kind`` says why.

    ``missing``: it does not exist; ``not-regular``: a folder, FIFO, device or socket (or
    it would block); ``outside``: a symlink or path that leaves the folder it must stay
    in; ``changed``: another file was swapped in while it was opened; ``too-large``: over
    the limit (``size``: its size, if known); ``unreadable``: any other operating-system
    error. A file a descriptor declares (:mod:`zonedata.descriptor.declared_files`) may
    also be refused as ``symlink``: it is reached through a symlink; or ``invalid``: it
    is read but does not hold what it must (not UTF-8, not JSON, empty; a folder that is
    not one). ``message`` names the file; ``detail`` is the same without the name.
    """

    def __init__(self, kind: str, shown: str, detail: str, size: int | None = None) -> None:
        super().__init__(f"{shown} {detail}")
        self.kind = kind
        self.detail = detail
        self.message = f"{shown} {detail}"
        self.size = size


class UnsafePathError(ZonedataError, ValueError):
    """A path is not a plain relative path, or leaves its folder (:mod:`zonedata.paths`)."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"path {path[:200]!r} {problem}")


class TableReadError(ZonedataError):
    """A table frictionless reads cannot be read into the cells validation's rules check
    and a release writes (:mod:`zonedata.validate.foreign_read`).

    ``code`` is the rule code validation reports it with (``file-unreadable``,
    ``file-too-large``, or the refusal of its file: ``file-not-regular``...); ``detail``
    is the message without the table's path.
    """

    def __init__(self, shown: str, detail: str, code: str = "file-unreadable") -> None:
        super().__init__(f"{shown}: {detail}")
        self.code = code
        self.detail = detail


class CodegenError(ZonedataError):
    """The descriptor cannot be turned into valid Python names."""


class SiteError(ZonedataError):
    """The site cannot be built from this input (a usage or input error)."""


class DocsError(ZonedataError):
    """A document the package declares (``zonedata:docs``) cannot be rendered: the
    declaration is malformed, a template or query is refused or fails."""


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

    def __init__(
        self, message: str, *, package: str | None = None, extra: str | None = None
    ) -> None:
        self.package = package
        self.extra = extra
        super().__init__(message, name=package)

    def __str__(self) -> str:
        return str(self.msg)


class ReleaseError(ZonedataError):
    """A release cannot be built, read or compared; the message says why, in one sentence.

    The command line maps it to exit code 2 (usage or unreadable input). ``file`` names
    the file concerned, when there is one; ``detail`` is the message without it.
    """

    def __init__(self, message: str, *, file: str | None = None, detail: str | None = None):
        super().__init__(message)
        self.file = file
        self.detail = detail if detail is not None else message


class NotAReleaseError(ReleaseError):
    """The input is not a readable release folder, zip or URL."""


class ReleaseExistsError(ReleaseError):
    """The release folder or zip already exists and ``force`` was not given."""


class UnsafeFileError(ReleaseError):
    """A release file or name is refused before anything is read from it.

    A FIFO, a device, a folder, a symlink whose target leaves the release folder, or a
    path or name that is not a plain, safe relative name.
    """


class IntegrityError(ReleaseError):
    """A release file does not match the size or SHA-256 hash its descriptor records.

    The file is never used (nor, when downloaded, cached).
    """

    def __init__(
        self,
        file: str,
        *,
        expected: str,
        actual: str,
        what: str = "SHA-256",
        hint: str = "",
        detail: str | None = None,
    ) -> None:
        self.expected = expected
        self.actual = actual
        self.what = what
        if detail is None:
            detail = (
                f"{what} mismatch: the release descriptor says {expected}, "
                f"the file has {actual}; refusing to use it{hint}"
            )
        super().__init__(f"{file}: {detail}", file=file, detail=detail)
        self.file: str = file


class DownloadError(ReleaseError):
    """A release file could not be downloaded (or its download was stopped)."""


class DerivedTableError(ReleaseError):
    """A table ``release`` derives (declared in ``zonedata:derived``) cannot be built.

    Its SQL is refused (``derived-refused``: it writes, attaches, recurses, or breaks a
    bound on work, rows or bytes), or its rows break its schema (a rule the data now
    defeats: two preferred rows, say): no release is built. ``problems`` holds the
    located problems (table, SQL file, or line of the derived CSV and field), as
    validation reports them.
    """

    def __init__(
        self, table: str, problems: Sequence[Problem], what: str = "breaks its schema"
    ) -> None:
        self.table = table
        self.problems: tuple[Problem, ...] = tuple(problems)
        shown = "; ".join(
            f"{p.path or table}{f':{p.line}' if p.line else ''}: {_problem_line(p)}"
            for p in self.problems[:5]
        )
        more = len(self.problems) - 5
        tail = f"; ... and {more} more" if more > 0 else ""
        super().__init__(f"derived table {table!r} {what}: {shown}{tail}")


class ValidationFailedError(ZonedataError):
    """The package has validation errors, so no release was built.

    ``report`` is the :class:`zonedata.validate.Report` that lists them. The command line
    maps it to exit code 1 (the data is invalid).
    """

    def __init__(self, report: Any) -> None:
        self.report = report
        n = len(report.errors)
        super().__init__(f"the package has {n} validation error{'s' if n != 1 else ''}")


def _problem_line(p: Problem) -> str:
    where = []
    if p.line is not None:
        where.append(f"line {p.line}")
    if p.field:
        where.append(f"field {p.field}")
    suffix = f" ({', '.join(where)})" if where else ""
    return f"[{p.code}] {p.message}{suffix}"


class DataValidationError(ZonedataError, ValueError):
    """``load(..., validate=True)`` found data that breaks the table's schema or rules.

    ``problems`` holds one :class:`zonedata.problems.Problem` per problem found
    (code, severity, message, table, line, field...); the message lists them, one a line.
    """

    def __init__(self, table: str, problems: Sequence[Problem]) -> None:
        self.table = table
        self.problems: tuple[Problem, ...] = tuple(problems)
        shown = "\n".join(f"  - {_problem_line(p)}" for p in self.problems[:20])
        more = len(self.problems) - 20
        tail = f"\n  ... and {more} more" if more > 0 else ""
        super().__init__(
            f"table {table!r} failed validation with {len(self.problems)} problem(s):\n"
            f"{shown}{tail}"
        )


__all__ = [
    "CodegenError",
    "DataValidationError",
    "DerivedTableError",
    "DescriptorError",
    "DocsError",
    "DownloadError",
    "InputError",
    "IntegrityError",
    "JsonTextError",
    "MissingDependencyError",
    "NotAReleaseError",
    "ReleaseError",
    "ReleaseExistsError",
    "SiteError",
    "TableReadError",
    "UnknownTableError",
    "UnsafeFileError",
    "UnsafePathError",
    "ValidationFailedError",
    "ZonedataError",
]
