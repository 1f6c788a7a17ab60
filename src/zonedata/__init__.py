"""zonedata: open, sourced data on China's national AI pilot zones."""

from __future__ import annotations

__version__ = "0.1.0"
