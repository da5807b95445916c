"""Writes ``docs/plugin_hooks.md`` from the hook specifications (``python -m engine.hookdocs``).

A test compares the file with ``render()`` so the page never drifts from ``engine/hookspecs.py``.
"""
from __future__ import annotations

import inspect
import sys
from pathlib import Path

from engine import hookspecs

INTRO = """# Plugin hooks

Every hook a minsheng plugin can implement. Implement a hook by defining a function of the same name decorated
with `engine.hookspecs.hookimpl` in your plugin module; it may accept any subset of the arguments shown. Register the
module through the entry-point group `minsheng` in your package's `pyproject.toml` (see `docs/writing_a_plugin.md`
and the example under `examples/`). Built-in plugins (`plugins/funding`, `plugins/inspection`,
`plugins/satisfaction`) use exactly these hooks.

This page is generated from `engine/hookspecs.py` by `python -m engine.hookdocs`; a test keeps them equal.
"""


def hooks() -> list[tuple[str, object]]:
    return sorted((name, fn) for name, fn in vars(hookspecs).items() if name.startswith("minsheng_"))


def render() -> str:
    parts = [INTRO]
    for name, fn in hooks():
        signature = str(inspect.signature(fn)).replace("'", "")
        parts.append(f"## {name}\n\n```python\n@hookimpl\ndef {name}{signature}: ...\n```\n\n"
                     f"{inspect.cleandoc(fn.__doc__ or '')}\n")
    return "\n".join(parts)


def main() -> int:
    target = Path(__file__).resolve().parent.parent / "docs" / "plugin_hooks.md"
    target.write_text(render(), encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
