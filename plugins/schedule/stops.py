"""The days a project's clock stood still (暂缓): the intervals its transitions into and out of the states that stop
the clock (``stops_clock`` in its workflow file) make, read from its history.

History is append-only (hash-chained, ordered by ``seq``), so what an earlier read found stays true: ``schedule_stop``
keeps, per project, the intervals found up to a ``seq`` and for which set of stopping states. A read takes the
stored intervals and applies only the transitions written after that ``seq``; a project whose stopping states
changed (its workflow did) is read from the start. A write transaction (a transition, a progress report, the
tick) stores what it read, so a project suspended and resumed a thousand times costs one row and the transitions
since, not its whole history. The table is a prefix of what the history says, never an authority: an empty or
stale table gives the same intervals, only slower, and a rolled-back write takes its row with it.

Intervals are (stopped on, resumed on) days, the last one open (``None``) while the project is stopped. The days
stopped are ``stopped on`` up to the day before ``resumed on``; intervals that touch are stored merged and empty
ones (stopped and resumed on the same day) left out — the same days as pairing every move, in fewer intervals.
"""
from __future__ import annotations

import datetime as dt
from typing import Sequence

from engine.storage.sql import Sql, to_datetime

Interval = tuple[dt.date, "dt.date | None"]
CHUNK = 500  # ids per IN (...) list
UPSERT = ("INSERT INTO schedule_stop (project_id, seq, stopping, intervals) VALUES (?, ?, ?, ?) "
          "ON CONFLICT (project_id) DO UPDATE SET seq = excluded.seq, stopping = excluded.stopping, "
          "intervals = excluded.intervals")


class _Clock:
    """One project's intervals as its moves are applied in order."""

    __slots__ = ("closed", "since", "seq")

    def __init__(self, closed: list[tuple[dt.date, dt.date]], since: dt.date | None, seq: int) -> None:
        self.closed, self.since, self.seq = closed, since, seq

    def stop(self, day: dt.date) -> None:
        if self.since is not None:
            return
        if self.closed and self.closed[-1][1] == day:  # resumed and stopped again the same day: one interval
            self.since = self.closed.pop()[0]
        else:
            self.since = day

    def resume(self, day: dt.date) -> None:
        if self.since is None:
            return
        if self.since != day:  # stopped and resumed the same day stops no day
            self.closed.append((self.since, day))
        self.since = None

    def intervals(self) -> list[Interval]:
        return [*self.closed, *([(self.since, None)] if self.since is not None else [])]

    def encoded(self) -> str:
        return ";".join(f"{a.isoformat()}/{'' if b is None else b.isoformat()}" for a, b in self.intervals())

    @classmethod
    def decoded(cls, text: str, seq: int) -> _Clock:
        clock = cls([], None, seq)
        for part in filter(None, text.split(";")):
            first, _, last = part.partition("/")
            if last:
                clock.closed.append((dt.date.fromisoformat(first), dt.date.fromisoformat(last)))
            else:
                clock.since = dt.date.fromisoformat(first)
        return clock


def stopped_intervals(sql: Sql, stopping: dict[int, frozenset[str]], store: bool = False
                      ) -> dict[int, list[Interval]]:
    """project id → its stopped intervals, for each project id in ``stopping`` (mapped to the states that stop its
    clock; projects with none are left out). With ``store`` (inside a write transaction that holds the projects'
    rows) what was read is kept in ``schedule_stop`` for the next read."""
    keys = {pid: ",".join(sorted(states)) for pid, states in stopping.items() if states}  # as stored
    ids = sorted(keys)
    found: dict[int, list[Interval]] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        clocks, changed = _read(sql, chunk, stopping, keys)
        if store and changed:
            sql.execute_many(UPSERT, [(pid, clocks[pid].seq, keys[pid], clocks[pid].encoded())
                                      for pid in sorted(changed)])
        for pid in chunk:
            intervals = clocks[pid].intervals()
            if intervals:
                found[pid] = intervals
    return found


def _read(sql: Sql, chunk: Sequence[int], stopping: dict[int, frozenset[str]], keys: dict[int, str]
          ) -> tuple[dict[int, _Clock], set[int]]:
    """Each project's clock: as stored for its stopping states (else empty, from the start of its history) with
    the moves into or out of them written since applied, in one statement; and the projects whose row is to be
    written (missing, kept for other states, or moved since)."""
    states = sorted(set().union(*(stopping[pid] for pid in chunk)))
    pairs, names = ", ".join("(?, ?)" for _ in chunk), ", ".join("?" for _ in states)
    # a statement that begins with SELECT: pony takes SQLite's write lock for any other (a CTE's WITH included)
    rows = sql.all(f"SELECT m.column1, s.seq, s.intervals, a.seq, a.from_state, a.to_state, a.at "
                   f"FROM (VALUES {pairs}) AS m "
                   f"LEFT JOIN schedule_stop s ON s.project_id = m.column1 AND s.stopping = m.column2 "
                   f"LEFT JOIN audit_record a ON a.project_id = m.column1 AND a.seq > COALESCE(s.seq, 0) "
                   f"AND a.kind = 'transition' AND (a.to_state IN ({names}) OR a.from_state IN ({names})) "
                   f"ORDER BY m.column1, a.seq",
                   (*(v for pid in chunk for v in (pid, keys[pid])), *states, *states))
    clocks: dict[int, _Clock] = {}
    changed = set()
    for pid, kept_seq, kept, seq, source, dest, at in rows:
        clock = clocks.get(pid)
        if clock is None:
            if kept_seq is None:
                clock = clocks[pid] = _Clock([], None, 0)
                changed.add(pid)
            else:
                clock = clocks[pid] = _Clock.decoded(kept, int(kept_seq))
        if seq is None:
            continue
        own = stopping[pid]
        clock.seq = seq
        changed.add(pid)
        if dest in own and source not in own:
            clock.stop(to_datetime(at).date())
        elif source in own and dest not in own:
            clock.resume(to_datetime(at).date())
    return clocks, changed
