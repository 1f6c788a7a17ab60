"""``python -m zonedata``: the same as the ``zonedata`` command."""

from zonedata.cli import main

main()
