"""A local credentials endpoint for `stscreds exec --server`, so that a long command's SDKs
renew their credentials themselves.

It speaks the container-credentials protocol every AWS SDK knows (the ECS task role's): a
GET to `AWS_CONTAINER_CREDENTIALS_FULL_URI` with `Authorization: $AWS_CONTAINER_AUTHORIZATION_TOKEN`
answers `{"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}`. It listens on 127.0.0.1
only, on a port the kernel picks; a request without the right token (compared in constant
time) gets 403. aws-vault's `--ecs-server` is the model.

An SDK never waits for a person here. SDKs ask with short timeouts (botocore gives the
endpoint 2 seconds), and a renewal may need an MFA code, a YubiKey touch or a slow AssumeRole.
So `RenewingCredentials` renews in a thread of its own, from just before botocore's advisory
window (15 minutes before the end), while every request is answered at once with the current
credentials; only a request that finds nothing valid left waits for the renewal. A client that
went away before its answer is no error, and a connection that sends nothing is closed.
"""

from __future__ import annotations

import hmac
import json
import secrets
import socket
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from stscreds.credentials import SDK_REFRESH_MARGIN_SECONDS, Credentials
from stscreds.errors import StscredsError, redact

# botocore asks the endpoint again once what it holds ends within 15 minutes (its advisory
# window), and must have new ones once they end within 10 (its mandatory window). Renewing a
# minute before the advisory window starts means what it gets when it asks is new.
RENEW_BEFORE_SECONDS = SDK_REFRESH_MARGIN_SECONDS + 60
# Credentials this close to their end are not handed out: a request then waits for the renewal.
USABLE_SECONDS = 60
# The renewer looks at the wall clock at least this often: a laptop that slept through the
# renewal point renews when it wakes, not an hour late (waits run on a clock that stops in sleep).
CHECK_EVERY_SECONDS = 60
# After a failed renewal, the next try waits 1, 2, 4, 8, then 10 minutes (one line each).
RETRY_SECONDS = (60, 120, 240, 480, 600)
# How long a request that found nothing valid waits for the renewal before it gets a 503.
REQUEST_WAIT_SECONDS = 30
# A connection that sends no request within this long is closed: no client holds a thread.
IDLE_SECONDS = 10


class RenewalPendingError(StscredsError):
    """A request found no valid credentials and the renewal has not finished."""


def _quietly(say: Callable[[str], None]) -> Callable[[str], None]:
    """`say` that never raises: the terminal may be gone (closed, hung up) while the command runs."""

    def said(message: str) -> None:
        try:
            say(message)
        except (OSError, ValueError):
            pass

    return said


class RenewingCredentials:
    """The credentials the endpoint hands out: `get()` answers at once while they are valid,
    and a thread renews them with `fetch` from `RENEW_BEFORE_SECONDS` before their end (or
    half-way through their life, for credentials shorter than that, so that renewals never
    follow each other without pause). A failed renewal is said in one line and tried again
    later; a request that finds nothing valid left asks for one now and waits for it.

    `clock` is the broker's: tests move it, and `poke()` makes the thread look at it again."""

    def __init__(
        self,
        fetch: Callable[[], Credentials],
        first: Credentials,
        say: Callable[[str], None],
        clock: Callable[[], float] = time.time,
        request_wait_seconds: float = REQUEST_WAIT_SECONDS,
    ) -> None:
        self._fetch = fetch
        self._say = _quietly(say)
        self._clock = clock
        self._request_wait_seconds = request_wait_seconds
        self._changed = threading.Condition()
        self._current = first
        self._obtained = clock()
        self._attempts = 0  # renewals finished, well or not
        self._failures = 0  # in a row
        self._retry_at = 0.0
        self._error: StscredsError | None = None
        self._wanted = False  # a request needs a renewal now
        self._renewing = False
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="stscreds-renewer", daemon=True)

    # --- what requests and tests see ------------------------------------------------------------

    @property
    def attempts(self) -> int:
        """How many renewals have finished (well or not)."""
        with self._changed:
            return self._attempts

    def wait_for_attempts(self, count: int, timeout: float) -> bool:
        """Wait until `count` renewals have finished; False if `timeout` seconds passed first."""
        with self._changed:
            return self._changed.wait_for(lambda: self._attempts >= count, timeout)

    def renew_at(self) -> float:
        """When the current credentials are renewed (seconds since the epoch)."""
        with self._changed:
            return self._renew_at()

    def get(self) -> Credentials:
        """The current credentials while they are valid, at once; else those of the renewal
        under way (or started now), when it ends."""
        with self._changed:
            if self._current.outlives(USABLE_SECONDS, self._clock()):
                if self._due():
                    self._changed.notify_all()  # a clock the renewer has not looked at yet
                return self._current
            if self._error is not None and not self._renewing and self._clock() < self._retry_at:
                raise self._error  # it failed a moment ago, and said why; do not ask again yet
            seen = self._attempts
            self._wanted = not self._renewing  # a renewal under way will do
            self._changed.notify_all()
            finished = self._changed.wait_for(
                lambda: self._attempts > seen or self._stopped, self._request_wait_seconds
            )
            if finished and self._current.outlives(0, self._clock()):
                return self._current
            if finished and self._error is not None:
                raise self._error
            raise RenewalPendingError("the credentials are being renewed; ask again in a moment")

    def poke(self) -> None:
        """Make the renewer look at the clock now."""
        with self._changed:
            self._changed.notify_all()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        with self._changed:
            self._stopped = True
            self._changed.notify_all()

    def __enter__(self) -> RenewingCredentials:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- the renewer's thread -------------------------------------------------------------------

    def _renew_at(self) -> float:
        end = self._current.expires_at
        return max(end - RENEW_BEFORE_SECONDS, self._obtained + (end - self._obtained) / 2)

    def _due(self) -> bool:
        now = self._clock()
        return self._wanted or (now >= self._renew_at() and now >= self._retry_at)

    def _run(self) -> None:
        while True:
            with self._changed:
                while not self._stopped and not self._due():
                    next_look = max(self._renew_at(), self._retry_at) - self._clock()
                    self._changed.wait(min(CHECK_EVERY_SECONDS, max(next_look, 0.05)))
                if self._stopped:
                    return
                self._wanted, self._renewing = False, True
            fresh, error = self._renew()
            wait = RETRY_SECONDS[min(self._failures, len(RETRY_SECONDS) - 1)]
            if error is not None:  # said before requests hear of it: the line explains their 500s
                self._say(f"stscreds: could not renew the command's credentials: {error} (again in {wait // 60} min)")
            with self._changed:
                now = self._clock()
                if fresh is not None:
                    self._current, self._obtained = fresh, now
                    self._failures, self._retry_at, self._error = 0, 0.0, None
                else:
                    self._failures += 1
                    self._retry_at, self._error = now + wait, error
                self._wanted, self._renewing = False, False  # requests waiting meanwhile take this one
                self._attempts += 1
                self._changed.notify_all()

    def _renew(self) -> tuple[Credentials | None, StscredsError | None]:
        try:
            fresh = self._fetch()
        except StscredsError as error:
            return None, error
        except Exception as error:  # the command runs on: say it, try again later
            return None, StscredsError(f"unexpected error ({type(error).__name__}: {redact(str(error))})")
        if not fresh.outlives(USABLE_SECONDS, self._clock()):
            return None, StscredsError(f"the renewed credentials end at {fresh.expiration_text}, too soon to hand out")
        return fresh, None


# What a client that went away looks like to the thread answering it: not an error.
_CLIENT_GONE = (ConnectionError, socket.timeout, TimeoutError)


class CredentialsServer:
    """`with CredentialsServer(provide, say) as server:` serves `provide()` at `server.url`
    to requests that carry `server.token`; `say` hears of what went wrong answering (never of
    a client that went away)."""

    def __init__(
        self, provide: Callable[[], Credentials], say: Callable[[str], None], idle_seconds: float = IDLE_SECONDS
    ) -> None:
        self.token = secrets.token_urlsafe(32)
        self._provide = provide
        say = _quietly(say)

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: object, client_address: object) -> None:
                # socketserver's own prints a traceback on stderr, the command's terminal.
                error = sys.exc_info()[1]
                if not isinstance(error, _CLIENT_GONE):
                    say(f"stscreds: the credentials endpoint could not answer a request ({type(error).__name__})")

        self._server = Server(("127.0.0.1", 0), self._handler(idle_seconds))
        self._thread = threading.Thread(target=self._server.serve_forever, name="stscreds-endpoint", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/"

    def __enter__(self) -> CredentialsServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        # serve_forever looks at shutdown()'s request twice a second: a connection makes it
        # look now, so that stscreds ends with the command, not half a second later.
        stopping = threading.Thread(target=self._server.shutdown, daemon=True)
        stopping.start()
        while stopping.is_alive():
            try:
                socket.create_connection(("127.0.0.1", self._server.server_address[1]), timeout=1).close()
            except OSError:
                pass
            stopping.join(0.05)
        self._server.server_close()

    def _answer(self, authorization: str) -> tuple[int, dict[str, str]]:
        if not hmac.compare_digest(authorization.encode(), self.token.encode()):
            return 403, {"message": "wrong or missing authorization token"}
        try:
            credentials = self._provide()
        except RenewalPendingError as error:
            return 503, {"message": str(error)}
        except StscredsError as error:  # the renewer has said it on the terminal already
            return 500, {"message": str(error)}
        return 200, {
            "AccessKeyId": credentials.access_key_id,
            "SecretAccessKey": credentials.secret_access_key,
            "Token": credentials.session_token,
            "Expiration": credentials.expiration_text,
        }

    def _handler(self, idle_seconds: float) -> type[BaseHTTPRequestHandler]:
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            timeout = idle_seconds  # on the connection: reading a request, and writing its answer

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
