"""An objection to direct marketing stops it at once (GDPR Art. 21(3)): the consent purposes
that market to the person are withdrawn, the newsletter first; purposes that do not market
are left for an operator to weigh (Art. 21(1))."""

from __future__ import annotations

from types import SimpleNamespace

from custos.consent.purposes import consent_purposes
from custos.consent.requests import choices_for
from custos.datamap import load_datamap
from custos.demo import MAP_FILE
from custos.rules import RequestType


def test_an_objection_withdraws_the_marketing_purposes_only() -> None:
    from importlib.resources import files

    datamap = load_datamap(str(files("custos.demo") / MAP_FILE))
    consent = SimpleNamespace(purposes=consent_purposes(datamap), service=SimpleNamespace(datamap=datamap),
                              opt_out_keys=[])
    withdrawn = choices_for(consent, RequestType.OBJECTION)
    # the demo shop's newsletter and its advertising both market to the person
    assert withdrawn == {"newsletter": False, "advertising": False}
    assert choices_for(consent, RequestType.RESTRICTION) == {}
