"""A small recording HTTP proxy in front of moto, for what moto cannot do by itself.

It records every AWS call (service, action, signing key, session token, region) and how many
of each action were in flight at once (parallelism as concurrency, not seconds), and can
answer some calls itself: an AWS error (wrong MFA code, rejected keys, a role's trust policy
refusing), a 500, no answer at all (a hang), or moto's answer cut short or replaced (what a
captive portal or a broken proxy gives). It can add latency to every call (a far-away
region), and give each GetSessionToken answer a unique token, since moto's never change.
"""

from __future__ import annotations

import http.client
import itertools
import re
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Call:
    service: str
    action: str
    access_key_id: str
    region: str
    params: dict[str, str]
    session_token: str | None = None

    @property
    def iam_action(self) -> str:
        """As an IAM policy names it: iam:GetUser."""
        return f"{self.service}:{self.action}"


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes = b""
    hang: bool = False
    times: int | None = None  # answer this way this many times, then pass calls on to moto
    skip: int = 0  # pass this many calls on to moto first (a fault that comes later)
    # Pass the call on to moto, then send this instead of its answer (status kept).
    mangle: Callable[[bytes], bytes] | None = field(default=None, compare=False)
    # Pass the call on to moto (it is carried out), then answer as this reply says: its status
    # and body, a hang, or (`drop`) a connection closed with no answer at all.
    forward: bool = False
    drop: bool = False

    def once(self) -> Reply:
        return replace(self, times=1)


def aws_error(code: str, message: str, status: int = 403) -> Reply:
    body = (
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
        f"<Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
        "<RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ErrorResponse>"
    ).encode()
    return Reply(status, body)


WRONG_MFA_CODE = aws_error("AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time pass code.")
INVALID_KEY = aws_error("InvalidClientTokenId", "The security token included in the request is invalid.")
SERVER_ERROR = Reply(500, aws_error("InternalFailure", "We encountered an internal error.", 500).body)
THROTTLED = aws_error("Throttling", "Rate exceeded", 400)
HANG = Reply(0, hang=True)
# The call is carried out, and its answer lost: what a read timeout, a dropped connection or a
# 5xx after the work was done look like to the client.
DONE_THEN_HANG = Reply(0, hang=True, forward=True)
DONE_THEN_DROPPED = Reply(0, drop=True, forward=True)
DONE_THEN_500 = replace(SERVER_ERROR, forward=True)
# Not AWS: a captive portal's page, with 200.
CAPTIVE_PORTAL = Reply(200, b"<html><head><title>Hotel WiFi</title></head><body>Please log in</body></html>")


def cut_after(marker: bytes) -> Reply:
    """moto's real answer, cut off right after `marker` (a connection that dropped)."""
    return Reply(0, mangle=lambda body: body[: body.index(marker) + len(marker)] if marker in body else body[:40])


ROLE_REFUSED = aws_error(
    "AccessDenied", "User: arn:aws:sts::123456789012:assumed-role is not authorized to perform: sts:AssumeRole"
)

HOLD_SECONDS = 30.0  # the longest a hold keeps calls waiting for others

_CREDENTIAL_SCOPE = re.compile(r"Credential=([^/]+)/\d+/([^/]+)/([^/]+)/aws4_request")


class RecordingProxy:
    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.calls: list[Call] = []
        # action name -> reply, e.g. {"GetSessionToken": WRONG_MFA_CODE}; "*" matches all.
        self.faults: dict[str, Reply] = {}
        self.unique_tokens = False
        self.latency = 0.0  # seconds added before every answer
        # action -> seconds: answers to it expire that long after `clock()` (moto's follow the
        # real clock and ignore the durations asked for).
        self.lifetimes: dict[str, float] = {}
        self.clock: Callable[[], float] = time.time
        # role ARN -> reply for AssumeRole calls naming it (a trust policy that refuses).
        self.role_faults: dict[str, Reply] = {}
        self._token_numbers = itertools.count(1)
        self._released = threading.Event()
        self._lock = threading.Lock()
        # action -> calls of it in flight now, and the most there were at once since reset().
        self._in_flight: dict[str, int] = {}
        self._most_at_once: dict[str, int] = {}
        # (action, count): calls of `action` wait until `count` of them are in flight at once,
        # then all go on (and later ones too); HOLD_SECONDS at most, then the hold is dropped.
        self._hold: tuple[str, int] | None = None
        self._held = 0
        self._gate = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def actions(self) -> list[str]:
        return [call.iam_action for call in self.calls]

    def most_at_once(self, action: str) -> int:
        """The most calls of `action` that were in flight at the same time since reset()."""
        with self._lock:
            return self._most_at_once.get(action, 0)

    def hold(self, action: str, count: int) -> None:
        """Keep calls of `action` waiting until `count` of them are in flight at once, then let
        them all go: a client that makes them in parallel reaches `count` at once at once; one
        that makes them one after another never does (and waits HOLD_SECONDS once)."""
        with self._gate:
            self._hold, self._held = (action, count), 0

    def _wait_for_company(self, action: str) -> None:
        with self._gate:
            if self._hold is None or self._hold[0] != action:
                return
            self._held += 1
            if self._held < self._hold[1]:
                self._gate.wait_for(lambda: self._hold is None, timeout=HOLD_SECONDS)
            self._hold = None  # reached (or waited long enough): from now on, calls go straight on
            self._gate.notify_all()

    def last(self, action: str) -> Call:
        """The last call of `action` (GetSessionToken, say): others may follow it."""
        return [call for call in self.calls if call.action == action][-1]

    def start(self) -> RecordingProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._released.set()  # let hanging handlers go
        with self._gate:
            self._hold = None
            self._gate.notify_all()
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        self.calls.clear()
        self.faults.clear()
        self.role_faults.clear()
        self.unique_tokens = False
        self.latency = 0.0
        self.lifetimes = {}
        self.clock = time.time
        with self._gate:
            self._hold = None
            self._gate.notify_all()
        with self._lock:  # calls still in flight (a hang) stay counted, as they are
            self._most_at_once = dict(self._in_flight)

    def _take_fault(self, action: str, params: dict[str, str]) -> Reply | None:
        if action == "AssumeRole" and params.get("RoleArn") in self.role_faults:
            return self.role_faults[params["RoleArn"]]
        with self._lock:
            name = action if action in self.faults else "*"
            fault = self.faults.get(name)
            if fault is not None and fault.skip:
                self.faults[name] = replace(fault, skip=fault.skip - 1)
                return None
            if fault is not None and fault.times is not None:
                if fault.times <= 1:
                    del self.faults[name]
                else:
                    self.faults[name] = replace(fault, times=fault.times - 1)
            return fault

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                self._handle()

            def do_POST(self) -> None:
                self._handle()

            def _handle(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                params = dict(urllib.parse.parse_qsl(body.decode("utf-8", "replace")))
                scope = _CREDENTIAL_SCOPE.search(self.headers.get("Authorization", ""))
                key, region, service = scope.groups() if scope else ("", "", "")
                action = params.get("Action") or self.headers.get("X-Amz-Target", "").rpartition(".")[2]
                token = self.headers.get("X-Amz-Security-Token")
                with proxy._lock:
                    proxy.calls.append(Call(service, action, key, region, params, token))
                    now = proxy._in_flight[action] = proxy._in_flight.get(action, 0) + 1
                    proxy._most_at_once[action] = max(proxy._most_at_once.get(action, 0), now)
                try:
                    self._answer(action, params, body)
                finally:
                    with proxy._lock:
                        proxy._in_flight[action] -= 1

            def _answer(self, action: str, params: dict[str, str], body: bytes) -> None:
                proxy._wait_for_company(action)
                if proxy.latency:
                    time.sleep(proxy.latency)
                fault = proxy._take_fault(action, params)
                if fault is not None and fault.forward:
                    self._forward(body)  # done: only its answer is lost
                if fault is not None and fault.drop:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if fault is not None and fault.hang:
                    proxy._released.wait(60)
                    return
                if fault is not None and fault.mangle is None:
                    self._send(fault.status, fault.body)
                    return
                status, answer = self._forward(body)
                if fault is not None and fault.mangle is not None:
                    answer = fault.mangle(answer)
                if proxy.unique_tokens and action == "GetSessionToken" and status == 200:
                    # As AWS: a new token and an ASIA key each time (moto's are fixed, AKIA).
                    number = next(proxy._token_numbers)
                    answer = re.sub(
                        rb"<SessionToken>[^<]*</SessionToken>",
                        f"<SessionToken>FwoGZXIvYXdzEXAMPLETOKEN{number:06d}</SessionToken>".encode(),
                        answer,
                    )
                    answer = re.sub(
                        rb"<AccessKeyId>[^<]*</AccessKeyId>",
                        f"<AccessKeyId>ASIASESSIONEXAMPLE{number:02d}</AccessKeyId>".encode(),
                        answer,
                    )
                if action in proxy.lifetimes and status == 200:
                    ends = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(proxy.clock() + proxy.lifetimes[action]))
                    answer = re.sub(
                        rb"<Expiration>[^<]*</Expiration>", f"<Expiration>{ends}</Expiration>".encode(), answer
                    )
                self._send(status, answer)

            def _forward(self, body: bytes) -> tuple[int, bytes]:
                connection = http.client.HTTPConnection("127.0.0.1", proxy.upstream_port, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "content-length")}
                connection.request(self.command, self.path, body=body, headers=headers)
                response = connection.getresponse()
                answer = response.read()
                connection.close()
                return response.status, answer

            def _send(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler
