"""The rights-request service: intake, verification, deadlines, execution, packages, mail, API."""

from custos.service.app import create_app
from custos.service.context import Service

__all__ = ["Service", "create_app"]
