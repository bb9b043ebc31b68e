"""A local credentials endpoint for `stscreds exec --server`, so that a long command's SDKs
renew their credentials themselves.

It speaks the container-credentials protocol every AWS SDK knows (the ECS task role's): a
GET to `AWS_CONTAINER_CREDENTIALS_FULL_URI` with `Authorization: $AWS_CONTAINER_AUTHORIZATION_TOKEN`
answers `{"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}`. It listens on 127.0.0.1
only, on a port the kernel picks; a request without the right token (compared in constant
time) gets 403. Each answer comes from the broker, so a role renews there every hour and the
MFA session when it ends. aws-vault's `--ecs-server` is the model.
"""

from __future__ import annotations

import hmac
import json
import secrets
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from stscreds.credentials import Credentials
from stscreds.errors import StscredsError


class CredentialsServer:
    """`with CredentialsServer(provide, say) as server:` serves `provide()` at `server.url`
    to requests that carry `server.token`; `say` hears of failures to provide."""

    def __init__(self, provide: Callable[[], Credentials], say: Callable[[str], None]) -> None:
        self.token = secrets.token_urlsafe(32)
        self._provide = provide
        self._say = say
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/"

    def __enter__(self) -> CredentialsServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _answer(self, authorization: str) -> tuple[int, dict[str, str]]:
        if not hmac.compare_digest(authorization.encode(), self.token.encode()):
            return 403, {"message": "wrong or missing authorization token"}
        try:
            credentials = self._provide()
        except StscredsError as error:
            self._say(f"stscreds: could not give the command credentials: {error}")
            return 500, {"message": str(error)}
        return 200, {
            "AccessKeyId": credentials.access_key_id,
            "SecretAccessKey": credentials.secret_access_key,
            "Token": credentials.session_token,
            "Expiration": credentials.expiration_text,
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, body = endpoint._answer(self.headers.get("Authorization", ""))
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                pass  # the command's output is the command's

        return Handler
