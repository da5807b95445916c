"""minsheng: a workflow engine for livelihood projects (民生实事)."""
from __future__ import annotations

__version__ = "0.1.0"
