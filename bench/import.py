"""Importing a province's annual list: 100,000 projects through the import path (``minsheng import projects``).

    python bench/import.py [--projects 100000] [--format csv|xlsx] [--db sqlite:///FILE | postgresql://…]

Builds a province (1 province, 10 cities, 100 counties, 1,000 towns; ``bench/province.py``) in an empty database,
writes the list as an office keeps it, and imports it in one transaction: reading the file, checking every row by
the engine's rules, and writing every project with its audit record and cooperating units. Prints the seconds of
each step next to the target (import < 60 s on SQLite). ``--db`` PostgreSQL: a fresh schema is made and dropped.
Figures only, no asserts.
"""
from __future__ import annotations

import sys
from pathlib import Path

# this file's folder holds bench/http.py, named like the stdlib package: take it off the path, put the repository on
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))
sys.path.append(str(HERE))  # after the standard library: province.py

import argparse  # noqa: E402
import tempfile  # noqa: E402

from province import populate  # noqa: E402
from schedule import pg_schema_url  # noqa: E402

TARGET_S = 60.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    parser.add_argument("--db", help="default: a temporary SQLite file")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="minsheng-import-"))
    url, cleanup = args.db or f"sqlite:///{folder / 'bench.db'}", None
    if url.startswith("postgres"):
        url, cleanup = pg_schema_url(url)
    try:
        t = populate(url, args.projects, args.format, folder)
    finally:
        if cleanup:
            cleanup()
    kind = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    print(f"{args.projects:,} projects on {kind}, {args.format} file of {t['bytes'] / 1e6:.1f} MB")
    print(f"  region tree (1,111 regions, 110 units):  {t['tree']:6.1f} s")
    print(f"  writing the list file:                   {t['write']:6.1f} s")
    print(f"  import (read, check, write all):         {t['import']:6.1f} s   target < {TARGET_S:.0f} s"
          f"   {args.projects / t['import']:,.0f} projects/s")


if __name__ == "__main__":
    main()
