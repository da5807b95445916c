"""Submitting a suggestion 提交建议 to an open call: by anyone online (the public without a token, a resident, a
deputy, a CPPCC member, a department), or entered by an office for a letter or a 12345 hotline call.

The submitter gets a receipt code (``receipts``) to follow the suggestion; the name and phone are sealed before
they are written (``personal``); the journal records the arrival without them. Anonymous submissions are counted
per client address (``MINSHENG_SUGGESTIONS_PER_ADDRESS``); after the closing day a call takes nothing more.
"""
from __future__ import annotations

import datetime as dt
import re
import threading
import weakref
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from pony import orm

from engine.api.throttle import UNKNOWN_ADDRESS, ForwardClock, LeakyBucket, refuse
from engine.directory.actors import ActorView
from engine.errors import FieldProblem, InvalidInput, NotFound
from engine.storage.sql import Sql
from plugins.participation import calls, events, journal, offices, personal, receipts, settings
from plugins.participation import vocabulary as v

if TYPE_CHECKING:
    from engine.core import Engine

PHONE = re.compile(r"[0-9+\-() ]{3,30}")
TEXT_LIMITS = {"title": 200, "content": 4000, "reason": 4000, "location": 200, "due_by": 60, "contact_name": 50,
               "hotline_ticket": 40}
CAMEL = {"due_by": "dueBy", "contact_name": "contactName", "contact_phone": "contactPhone",
         "hotline_ticket": "hotlineTicket", "submitter_kind": "submitterKind"}
_BUCKETS: weakref.WeakKeyDictionary[Any, tuple[settings.Settings, LeakyBucket]] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


@dataclass(frozen=True)
class SuggestionForm:
    """The procedures' form 建议表 (amount in yuan)."""

    call_id: int
    title: str  # 项目名称
    category: str  # 类别
    content: str  # 具体内容
    reason: str  # 理由和解决方案
    location: str  # 建设地点
    estimate: Any = None  # 概算 (元)
    due_by: str | None = None  # 完成时限
    contact_name: str | None = None  # 建议人 (personal)
    contact_phone: str | None = None  # 联系电话 (personal)
    channel: str | None = None
    hotline_ticket: str | None = None  # 12345 工单号
    submitter_kind: str | None = None  # an office entering for someone: who sent it


@dataclass(frozen=True)
class Submitted:
    id: int
    receipt: str  # shown once
    call_id: int
    status: str
    submitted_at: dt.datetime
    region_path: str
    channel: str


def _bucket(engine: Engine) -> tuple[settings.Settings, LeakyBucket]:
    with _LOCK:
        found = _BUCKETS.get(engine)
        if found is None:
            config = settings.from_env()
            limit = config.per_address
            found = (config, LeakyBucket(limit.count, limit.rate, clock=ForwardClock(engine.clock.now)))
            _BUCKETS[engine] = found
        return found


def take_anonymous(engine: Engine, client: str | None) -> None:
    """Count one anonymous suggestion against the caller's address; ``Throttled`` when its budget is spent."""
    config, bucket = _bucket(engine)
    refuse(bucket.take(("suggestion", client or UNKNOWN_ADDRESS)), "suggestions from your address",
           config.per_address, [])


def submit(engine: Engine, actor: ActorView, form: SuggestionForm, client: str | None = None) -> Submitted:
    """Store a suggestion on an open call and return its receipt code; nothing is written on any problem."""
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        call = _open_call(engine, sql, form.call_id)
        office = offices.is_office_for(engine, actor, call.region_path)
        if actor.is_public:
            take_anonymous(engine, client)
        values, kind, channel = _checked(form, call, actor, office)
        code, now = receipts.new_code(), engine.clock.now()
        suggestion_id = sql.insert(
            "INSERT INTO participation_suggestion (call_id, region_path, receipt_hash, title, category, content,"
            " reason, location, estimate_fen, due_by, channel, hotline_ticket, submitter_kind, contact_name_enc,"
            " contact_phone_enc, status, entered_by_id, submitted_at, version)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
            (call.id, call.region_path, receipts.digest(code), values["title"], values["category"],
             values["content"], values["reason"], values["location"], values["estimate_fen"], values["due_by"],
             channel, values["hotline_ticket"] or None, kind, personal.seal(sql, values["contact_name"]),
             personal.seal(sql, values["contact_phone"]), v.RECEIVED, actor.id if office else None, now))
        journal.write(sql, call.id, suggestion_id, "received", actor if office else None, now, channel=channel,
                      submitter=kind)
    events.announce(engine, events.Arrival(suggestion_id, call.id, call.region_path, values["title"],
                                           values["category"], channel, now))
    return Submitted(suggestion_id, code, call.id, v.RECEIVED, now, call.region_path, channel)


def _open_call(engine: Engine, sql: Sql, call_id: int) -> calls.Call:
    try:
        call = calls.get(sql, call_id)
    except NotFound:
        raise NotFound(f"call {call_id} does not exist", path=["input", "callId"]) from None
    today = engine.clock.today()
    if not call.is_open(today):
        when = "has not opened yet" if today < call.opens_on else "is closed"
        raise InvalidInput([FieldProblem(["input", "callId"], (
            f"suggestions are accepted only while the call is open, from {call.opens_on} to {call.closes_on} "
            f"(opening and closing day included); today is {today}: the call {when}"))])
    return call


def _checked(form: SuggestionForm, call: calls.Call, actor: ActorView,
             office: bool) -> tuple[dict[str, Any], str, str]:
    problems: list[FieldProblem] = []
    values: dict[str, Any] = {}
    for name, limit in TEXT_LIMITS.items():
        text = (getattr(form, name) or "").strip()
        required = name in ("title", "content", "reason", "location")
        if required and not text:
            problems.append(FieldProblem(["input", CAMEL.get(name, name)], "required"))
        elif len(text) > limit:
            problems.append(FieldProblem(["input", CAMEL.get(name, name)], f"at most {limit} characters"))
        values[name] = text
    phone = (form.contact_phone or "").strip()
    if phone and not PHONE.fullmatch(phone):
        problems.append(FieldProblem(["input", "contactPhone"], "a phone number has 3 to 30 digits, spaces, +, - "
                                                                "or brackets"))
    values["contact_phone"] = phone
    category = (form.category or "").strip()
    if category not in call.categories:
        problems.append(FieldProblem(["input", "category"], f"'{category}' is not a category of this call "
                                                            f"({'、'.join(call.categories)})"))
    values["category"] = category
    values["estimate_fen"] = _fen(form.estimate, problems)
    kind, channel = _who_and_how(form, actor, office, values, problems)
    if problems:
        raise InvalidInput(problems)
    return values, kind, channel


def _fen(amount: Any, problems: list[FieldProblem]) -> int | None:
    if amount is None or amount == "":
        return None
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite() or value < 0 or value > Decimal("1e13") or value != value.quantize(Decimal("0.01")):
        problems.append(FieldProblem(["input", "estimate"], "an estimate is zero or more yuan with at most two "
                                                            "decimal places"))
        return None
    return int(value * 100)


def _who_and_how(form: SuggestionForm, actor: ActorView, office: bool, values: dict[str, Any],
                 problems: list[FieldProblem]) -> tuple[str, str]:
    own = v.submitter_of(actor.roles, office)
    kind = (form.submitter_kind or v.PUBLIC) if office else own
    if form.submitter_kind and not office and form.submitter_kind != own:
        problems.append(FieldProblem(["input", "submitterKind"], "only an office entering a suggestion for someone "
                                                                 "names who sent it"))
    if kind not in v.SUBMITTERS:
        problems.append(FieldProblem(["input", "submitterKind"], f"unknown submitter kind '{kind}'"))
    channel = form.channel or v.default_channel(own)
    if channel not in v.CHANNELS:
        problems.append(FieldProblem(["input", "channel"], f"unknown channel '{channel}'"))
    elif channel in v.OFFICE_ONLY_CHANNELS and not office:
        problems.append(FieldProblem(["input", "channel"], (
            f"{v.CHANNELS[channel]} arrivals are entered by {offices.OFFICE_LABEL} of the call's region")))
    elif channel == v.LIAISON_STATION and not (office or own == v.DEPUTY):
        problems.append(FieldProblem(["input", "channel"], "代表联络站 suggestions come from deputies or an office"))
    elif channel == v.DEPARTMENT and not (office or own == v.UNIT):
        problems.append(FieldProblem(["input", "channel"], "部门 suggestions come from a department or an office"))
    if channel == v.HOTLINE and not values["hotline_ticket"]:
        problems.append(FieldProblem(["input", "hotlineTicket"], "a 12345 suggestion needs its hotline ticket number"))
    elif channel != v.HOTLINE and values["hotline_ticket"]:
        problems.append(FieldProblem(["input", "hotlineTicket"], "a hotline ticket number belongs to 12345 "
                                                                 "suggestions only"))
    return kind, channel
