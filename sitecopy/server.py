"""The HTTP side of the local test site: a stdlib ThreadingHTTPServer on 127.0.0.1, port 0."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from PIL import Image

from sitecopy.site import IMAGE_PATH, VOGUE, TestSite

SEARCH_PATH = VOGUE
ROBOTS = b"User-agent: *\nDisallow: /lst?\nDisallow: /offers/\nDisallow: /angebote/\n"
CHALLENGE = b"<html><head><title>Just a moment...</title></head><body>captcha</body></html>"
_BOMB: bytes | None = None


def bomb() -> bytes:
    """A PNG just over Pillow's decompression-bomb limit (89,478,485 pixels), ~12 kB."""
    global _BOMB
    if _BOMB is None:
        out = io.BytesIO()
        Image.new("1", (9500, 9500)).save(out, "PNG")
        _BOMB = out.getvalue()
    return _BOMB


class Handler(BaseHTTPRequestHandler):
    site: TestSite
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the site keeps its own log
        pass

    def do_GET(self) -> None:
        self.site.log(self.path)  # on arrival, so a request the client gave up on still counts
        if self.site.latency:
            time.sleep(self.site.latency)
        fault = self.site.take_fault(self.path)
        if fault is not None and self._fault(*fault):
            return
        parts = urlsplit(self.path)
        if parts.path == "/robots.txt":
            self._send(200, ROBOTS, "text/plain")
        elif parts.path in self.site.inventory.searches:  # a model the site knows
            props = self.site.inventory.search(parts.path, parse_qs(parts.query))
            self._send(200, self.site.inventory.render(self.site.inventory.search_shell, props))
        elif parts.path.startswith("/offers/"):
            self._detail(parts.path)
        elif match := IMAGE_PATH.match(parts.path):
            self._picture(match.group(2), match.group(5))
        else:
            self._send(404, b"not found")

    def _fault(self, kind: str, argument: Any) -> bool:
        """Answers with the fault; False when the fault only delays the normal answer."""
        if kind == "sleep":
            time.sleep(argument)
            return False
        if kind == "status":
            code, headers = argument
            self._send(code, b"<html>error</html>", headers=headers)
        elif kind == "challenge":
            self._send(200, CHALLENGE)
        elif kind == "malformed":
            self._send(
                200, b'<script id="__NEXT_DATA__" type="application/json">{"props": {</script>'
            )
        return True

    def _detail(self, path: str) -> None:
        inventory = self.site.inventory
        listing = inventory.listings.get(path[-36:])
        if listing is None:
            self._send(404, b"no such listing")
        elif listing.status == "sold":
            self._send(410, b"<html>gone</html>")
        elif listing.status == "sold_redirect":
            self._send(301, b"", headers={"Location": f"{SEARCH_PATH}?atype=C"})
        elif listing.status == "moved" and not path.startswith("/offers/new-slug-"):
            self._send(308, b"", headers={"Location": f"/offers/new-slug-{listing.id}"})
        else:
            self._send(200, self._detail_page(path))

    def _detail_page(self, path: str) -> bytes:
        cache = self.site.page_cache
        if cache is not None and path in cache:
            return cache[path]
        inventory = self.site.inventory
        listing = inventory.listings[path[-36:]]  # detail paths end with the listing ID
        page = inventory.render(inventory.detail_shell, inventory.details(listing))
        if cache is not None:
            cache[path] = page
        return page

    def _picture(self, image_id: str, fmt: str) -> None:
        kind = self.site.persistent.get(image_id)
        body = self.site.picture(image_id, fmt)
        content_type = "image/webp" if fmt == "webp" else "image/jpeg"
        if kind == "truncated":
            body = body[: len(body) // 2]
        elif kind == "html":
            body, content_type = b"<html><body>Not an image</body></html>", "text/html"
        elif kind == "empty":
            body = b""
        elif kind == "bomb":
            body, content_type = bomb(), "image/png"
        self._send(200, body, content_type)

    def _send(
        self, code: int, body: bytes, content_type: str = "text/html; charset=utf-8",
        headers: dict[str, str] | None = None,
    ) -> None:  # fmt: skip
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # socketserver's 5 drops the SYNs of a concurrent crawler

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that went away (a killed crawl, a timeout) is part of the tests


@contextmanager
def serve(site: TestSite) -> Iterator[str]:
    """Runs the site; yields its origin (`http://127.0.0.1:<port>`)."""
    handler = type("BoundHandler", (Handler,), {"site": site})
    server = QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    site.inventory.origin = origin
    try:
        yield origin
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
