"""A tiny HTTP server for tests: each path answers from a script of responses, and every request is logged."""

from __future__ import annotations

import contextlib
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class ScriptedServer:
    def __init__(self, routes: dict[str, list[tuple[int, dict, bytes]]]):
        # path -> responses in order; the last one repeats.
        self.routes = routes
        self.log: list[tuple[float, str]] = []
        self.lock = threading.Lock()

    def answer(self, host: str, path: str) -> tuple[int, dict, bytes]:
        """The script for "//host/path" if there is one, else for "path"."""
        with self.lock:
            self.log.append((time.monotonic(), path))
            script = self.routes.get(f"//{host}{path}") or self.routes.get(path)
            if not script:
                return 404, {"Content-Type": "text/plain"}, b"not found"
            return script.pop(0) if len(script) > 1 else script[0]

    def hits(self, path: str) -> list[float]:
        return [when for when, logged in self.log if logged == path]

    @contextlib.contextmanager
    def serve(self):
        server_ref = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                status, headers, body = server_ref.answer(self.headers.get("Host", ""), self.path)
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{httpd.server_address[1]}"
        finally:
            httpd.shutdown()
            httpd.server_close()


def html(body: str, status: int = 200, **headers) -> tuple[int, dict, bytes]:
    return status, {"Content-Type": "text/html; charset=utf-8", **headers}, body.encode()
