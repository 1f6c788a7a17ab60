"""``python -m zonedata.cli``: the same as the ``zonedata`` command."""

from zonedata.cli import main

main()
