"""The rights-request service: intake, verification, deadlines, execution, packages, mail, API.

``custos.server.create_app`` builds the app with its plug-ins; ``Service`` is the shared
context every handler and job receives.
"""

from custos.service.core import Service

__all__ = ["Service"]
