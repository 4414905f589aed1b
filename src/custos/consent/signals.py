"""Browser privacy signals: Global Privacy Control (``Sec-GPC: 1``) and Do Not Track (``DNT: 1``).

GPC is always honored: it is a valid opt-out of sale and sharing under CCPA §7025 and the
recognised universal opt-out in Colorado, Connecticut and Texas. DNT is honored only when
``CUSTOS_CONSENT_HONOR_DNT`` is on.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from custos.consent.settings import ConsentSettings


def gpc(headers: Mapping[str, str]) -> bool:
    """Whether the request carries ``Sec-GPC: 1`` (the specification's only valid value)."""
    return headers.get("sec-gpc", "").strip() == "1"


def dnt(headers: Mapping[str, str]) -> bool:
    return headers.get("dnt", "").strip() == "1"


def opt_out_signal(headers: Mapping[str, str], settings: ConsentSettings) -> str | None:
    """``"gpc"``, ``"dnt"`` (when honored) or ``None``: the method an opt-out is recorded with."""
    if gpc(headers):
        return "gpc"
    if settings.honor_dnt and dnt(headers):
        return "dnt"
    return None


def gpc_resource(settings: ConsentSettings) -> dict[str, object]:
    """The body of ``/.well-known/gpc.json``: this site honors GPC."""
    return {"gpc": True, "version": 1, "lastUpdate": date.fromisoformat(settings.gpc_last_update).isoformat()}
