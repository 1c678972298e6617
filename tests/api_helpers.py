"""Helpers of the /api/v1 tests: checking answers against the OpenAPI document's schemas,
issuing keys, and a webhook receiver on 127.0.0.1."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from jsonschema import Draft202012Validator

from district_portal.services.api.openapi import document


def validate_against(name: str, payload) -> None:
    """Raise unless `payload` matches components/schemas/`name` of the served document."""
    doc = document()
    schema = {"$ref": f"#/components/schemas/{name}", "components": doc["components"]}
    Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER) \
        .validate(payload)


def response_schema(path: str, status: str = "200") -> dict:
    """The JSON schema the document gives for `path`'s GET answer with `status`."""
    doc = document()
    return doc["paths"][path]["get"]["responses"][status]["content"]["application/json"][
        "schema"]


def validate_response(path: str, response) -> None:
    doc = document()
    schema = {**response_schema(path, str(response.status_code)),
              "components": doc["components"]}
    Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER) \
        .validate(response.get_json())


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


class Receiver(BaseHTTPRequestHandler):
    """Records each POST, checks its signature with `secret`, answers `statuses` in turn
    (then 200); `hang` seconds of silence before answering make it a slow receiver."""

    secret = ""
    statuses: list
    deliveries: list
    hang = 0.0

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        timestamp = self.headers.get("X-Portal-Timestamp", "")
        expected = "sha256=" + hmac.new(self.secret.encode(), f"{timestamp}.".encode() + body,
                                        hashlib.sha256).hexdigest()
        signed = hmac.compare_digest(expected, self.headers.get("X-Portal-Signature", ""))
        self.deliveries.append({"body": body, "json": json.loads(body), "signed": signed,
                                "timestamp": timestamp,
                                "signature": self.headers.get("X-Portal-Signature", ""),
                                "event_id": self.headers.get("X-Portal-Event-Id")})
        if self.hang:
            time.sleep(self.hang)
        status = self.statuses.pop(0) if self.statuses else 200
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def start_receiver(secret: str, statuses=(), hang: float = 0.0):
    """A receiver on 127.0.0.1 (random port) in a thread; returns (handler class, url, stop)."""
    handler = type("Handler", (Receiver,), {"secret": secret, "statuses": list(statuses),
                                            "deliveries": [], "hang": hang})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop():
        server.shutdown()
        server.server_close()

    return handler, f"http://127.0.0.1:{server.server_address[1]}/hook", stop
