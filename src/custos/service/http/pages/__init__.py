"""Server-rendered pages: the privacy center and the admin console (no JavaScript needed)."""

from custos.service.http.pages.center import router as center_router
from custos.service.http.pages.console import router as console_router
from custos.service.http.pages.retention import router as retention_pages_router

__all__ = ["center_router", "console_router", "retention_pages_router"]
