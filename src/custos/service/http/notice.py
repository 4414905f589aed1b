"""``GET /privacy``: the privacy notice, rendered from the same data map the requests run on.

Each rendering is recorded by content hash, so consent records and request records can
point at the exact version a person saw (its hash is sent in the ``X-Notice-Version``
header).
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from custos.notice import NoticeVersions, publish
from custos.service.core import Service

router = APIRouter(tags=["notice"])


@router.get("/privacy", response_class=HTMLResponse, summary="The privacy notice", responses={
    200: {"description": "the notice, as HTML or (``format=md``) Markdown",
          "content": {"text/html": {}, "text/markdown": {"schema": {"type": "string"}}}}})
def privacy_notice(request: Request, format: Literal["html", "md"] = Query("html")) -> Response:
    service: Service = request.app.state.service
    store = NoticeVersions.in_state_dir(service.settings.state_dir)
    rendered, version = publish(service.datamap, format, store, today=service.clock().date())
    headers = {"X-Notice-Version": version.version}
    if format == "md":
        return PlainTextResponse(rendered.text, media_type="text/markdown; charset=utf-8", headers=headers)
    return HTMLResponse(rendered.text, headers=headers)
