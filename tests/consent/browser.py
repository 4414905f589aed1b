"""Headless Chromium driven over the Chrome DevTools Protocol, and the app served by uvicorn.

One browser per test module; each test gets a fresh browser context (its own storage and
cookies), the way a new visitor arrives. Commands go over one WebSocket with flattened
sessions (``Target.attachToTarget``).
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI
from websockets.sync.client import ClientConnection, connect

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--remote-debugging-port=0"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Served:
    """``app`` served by uvicorn on 127.0.0.1 and a free port, in a thread of the test process."""

    def __init__(self, app: FastAPI) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                    lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Served:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


class Browser:
    """A headless Chromium process with a fresh profile, and its DevTools connection."""

    def __init__(self) -> None:
        self.profile = Path(tempfile.mkdtemp(prefix="custos-chromium-"))
        self.process = subprocess.Popen(
            [str(CHROMIUM), *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and len(port_file.read_text().splitlines()) >= 2):
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.close()
                raise RuntimeError("chromium did not open its DevTools port")
            time.sleep(0.05)
        port, path = port_file.read_text().splitlines()[:2]
        self.socket: ClientConnection = connect(f"ws://127.0.0.1:{port}{path}", max_size=None)
        self._next = 0
        self._lock = threading.Lock()

    def command(self, method: str, params: dict[str, Any] | None = None, session: str | None = None,
                timeout: float = 20) -> dict[str, Any]:
        with self._lock:
            self._next += 1
            ident = self._next
            message: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
            if session:
                message["sessionId"] = session
            self.socket.send(json.dumps(message))
            deadline = time.monotonic() + timeout
            while True:
                reply = json.loads(self.socket.recv(timeout=max(0.01, deadline - time.monotonic())))
                if reply.get("id") == ident:
                    if "error" in reply:
                        raise RuntimeError(f"{method}: {reply['error']}")
                    result: dict[str, Any] = reply.get("result", {})
                    return result

    def page(self) -> Page:
        context = self.command("Target.createBrowserContext")["browserContextId"]
        target = self.command("Target.createTarget", {"url": "about:blank", "browserContextId": context})["targetId"]
        session = self.command("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        return Page(self, session, context)

    def close(self) -> None:
        try:
            if hasattr(self, "socket"):
                self.socket.close()
        finally:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
            shutil.rmtree(self.profile, ignore_errors=True)


class Page:
    """One tab in its own browser context."""

    def __init__(self, browser: Browser, session: str, context: str) -> None:
        self.browser = browser
        self.session = session
        self.context = context
        self.send("Page.enable")
        self.send("Runtime.enable")

    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.browser.command(method, params, self.session)

    def with_gpc(self) -> None:
        """What a browser with Global Privacy Control on does: the header and the property."""
        self.send("Network.enable")
        self.send("Network.setExtraHTTPHeaders", {"headers": {"Sec-GPC": "1"}})
        self.send("Page.addScriptToEvaluateOnNewDocument", {"source":
                  "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true});"})

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 10) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            try:
                value = self.evaluate(expression)
            except RuntimeError:
                value = None
            if value not in (None, False, 0, ""):  # a DOM node comes back as {}
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {expression}")
            time.sleep(0.05)

    def goto(self, url: str) -> None:
        self.send("Page.navigate", {"url": url})
        self.wait_for(f"location.href === {json.dumps(url)} && document.readyState === 'complete'")

    def reload(self) -> None:
        self.evaluate("window.__old = true")
        self.send("Page.reload")
        self.wait_for("!window.__old && document.readyState === 'complete'")

    def key(self, name: str, code: int) -> None:
        """Press and release a key, as a person at the keyboard does."""
        self.send("Input.dispatchKeyEvent", {"type": "rawKeyDown", "key": name, "code": name,
                                             "windowsVirtualKeyCode": code})
        if name == "Enter":
            self.send("Input.dispatchKeyEvent", {"type": "char", "key": name, "text": "\r"})
        self.send("Input.dispatchKeyEvent", {"type": "keyUp", "key": name, "code": name,
                                             "windowsVirtualKeyCode": code})

    def close(self) -> None:
        self.browser.command("Target.disposeBrowserContext", {"browserContextId": self.context})
