"""The JSON API: public endpoints, admin endpoints, OpenDSR endpoints and error handlers."""

from custos.service.http.api.admin import router as admin_router
from custos.service.http.api.errors import install_error_handlers
from custos.service.http.api.opendsr import router as opendsr_router
from custos.service.http.api.public import router as public_router
from custos.service.http.api.retention import router as retention_router

__all__ = ["admin_router", "install_error_handlers", "opendsr_router", "public_router", "retention_router"]
