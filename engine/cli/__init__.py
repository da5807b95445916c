"""The ``minsheng`` command line (``engine.cli.main``) and how it reports failures (``engine.cli.errors``)."""
from __future__ import annotations

from engine.cli.main import main

__all__ = ["main"]
