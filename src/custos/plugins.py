"""The plug-in manager: Custos's built-in parts and third-party packages, one registry.

``manager()`` builds it once per process: the hook specifications of ``custos.hooks``, the
built-in plug-ins of ``BUILTINS`` (each a module path, imported when the manager is first
asked, so nothing is loaded that a command does not use), and every module or object a
package registers under the ``custos`` entry-point group. ``CUSTOS_PLUGINS=false`` loads
the built-ins only (a deployment that must not pick up whatever is installed).
"""

from __future__ import annotations

import importlib
import os
import threading
from typing import Any

import pluggy

from custos import hooks
from custos.errors import ConfigError

#: the built-in plug-ins, in the order their hooks are registered
BUILTINS: tuple[str, ...] = (
    "custos.stores.plugin",
    "custos.service.plugin",
    "custos.consent.plugin",
    "custos.agents.plugin",
    "custos.recipients.plugin",
    "custos.breaches.plugin",
    "custos.discovery.plugin",
)

_lock = threading.Lock()
_manager: pluggy.PluginManager | None = None


def manager() -> pluggy.PluginManager:
    """The process's plug-in manager (built on first use)."""
    global _manager
    with _lock:
        if _manager is None:
            _manager = _build()
        return _manager


def hook() -> Any:
    """The hook caller: ``hook().custos_job_handlers()``."""
    return manager().hook


def register(plugin: object, name: str | None = None) -> None:
    """Register ``plugin`` (a module or an object with hook implementations) at run time."""
    manager().register(plugin, name=name)


def unregister(name: str) -> None:
    pm = manager()
    plugin = pm.get_plugin(name)
    if plugin is not None:
        pm.unregister(plugin)


def reset() -> None:
    """Forget the manager; the next ``manager()`` loads the built-ins and entry points again."""
    global _manager
    with _lock:
        _manager = None


def merged(results: list[dict[str, Any] | None]) -> dict[str, Any]:
    """One mapping from the mappings several implementations returned: where several give the
    same key, the one registered last wins, so a package can replace a built-in (pluggy calls
    the last registered first, so the list is read from its end)."""
    found: dict[str, Any] = {}
    for result in reversed(results):
        found.update(result or {})
    return found


def flags(service: Any, request_ids: list[str]) -> dict[str, list[str]]:
    """Every plug-in's flags on ``request_ids`` (``custos_request_flags``), joined."""
    found: dict[str, list[str]] = {}
    if not request_ids:
        return found
    for result in reversed(hook().custos_request_flags(service=service, request_ids=request_ids)):
        for request_id, items in (result or {}).items():
            found.setdefault(request_id, []).extend(items)
    return found


def _build() -> pluggy.PluginManager:
    pm = pluggy.PluginManager(hooks.PROJECT)
    pm.add_hookspecs(hooks)
    for path in BUILTINS:
        pm.register(importlib.import_module(path), name=path)
    if os.environ.get("CUSTOS_PLUGINS", "true").strip().lower() not in ("0", "false", "no", "off"):
        try:
            pm.load_setuptools_entrypoints(hooks.PROJECT)
        except Exception as exc:  # a broken third-party package must name itself
            raise ConfigError(f"a plug-in of the {hooks.PROJECT!r} entry-point group failed to load: {exc}",
                              where="plug-ins") from exc
    return pm
