"""Errors raised while building, reading or comparing releases.

The command line maps them to exit codes: :class:`ValidationFailedError` is 1 (the
data is invalid), every other :class:`ReleaseError` is 2 (usage or unreadable input).
"""

from __future__ import annotations

from typing import Any


class ReleaseError(Exception):
    """A release cannot be built or read; the message says why, in one sentence."""


class ReleaseExistsError(ReleaseError):
    """The release folder or zip already exists and ``force`` was not given."""


class NotAReleaseError(ReleaseError):
    """The input is not a readable release folder or zip."""


class ValidationFailedError(Exception):
    """The package has validation errors, so no release was built.

    ``report`` is the :class:`zonedata.validate.Report` that lists them.
    """

    def __init__(self, report: Any) -> None:
        self.report = report
        n = len(report.errors)
        super().__init__(f"the package has {n} validation error{'s' if n != 1 else ''}")
