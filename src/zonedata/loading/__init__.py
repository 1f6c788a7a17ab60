"""Loading the tables: the bundled data, release folders and zips, and release URLs.

The public API is re-exported by :mod:`zonedata` (``zonedata.load``, ``zonedata.tables``,
``zonedata.describe``, ``zonedata.rows`` and the exceptions). This package is named
``loading`` rather than ``load`` so that no submodule shadows the ``zonedata.load``
function.
"""
