"""``issueDeviceToken``: a device token signed by the server, which anonymous ``rateProject`` calls need."""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

import strawberry

from engine.api.context import RequestContext
from engine.api.errors import UserError, payload
from plugins.satisfaction import throttling, tokens


@strawberry.type(description="A device token for rating without signing in, and when it may be used.")
class IssueDeviceTokenPayload:
    token: Optional[str] = strawberry.field(default=None, description="Keep it on the device and send it as "
                                            "rateProject's deviceToken; one answer per project per token.")
    issued_at: Optional[dt.datetime] = strawberry.field(default=None, description="When it was signed (UTC).")
    valid_from: Optional[dt.datetime] = strawberry.field(default=None, description="It may rate from then on.")
    expires_at: Optional[dt.datetime] = strawberry.field(default=None, description="It may rate until then.")
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _issue(context: RequestContext) -> dict[str, Any]:
    issued = tokens.issue_device_token(context.engine, context.client)
    settings = throttling.limits_of(context.engine).settings
    return {"token": issued.token, "issued_at": issued.issued_at,
            "valid_from": issued.issued_at + dt.timedelta(seconds=settings.token_min_age),
            "expires_at": issued.issued_at + dt.timedelta(seconds=settings.token_lifetime)}


@strawberry.type
class DeviceTokenMutation:
    @strawberry.mutation(description="Issue a signed device token for rating without signing in (a few per "
                                     "client address per hour: THROTTLED beyond, with the seconds to wait).")
    def issue_device_token(self, info: strawberry.Info) -> IssueDeviceTokenPayload:
        return payload(IssueDeviceTokenPayload, lambda: _issue(info.context), prefix=())
