"""A fake of AWS IAM Identity Center (SSO) for tests, speaking the services' real REST-JSON wire protocol.

One HTTP server on 127.0.0.1 answers both public APIs, so that botocore's own clients, paginators and SSO
credential provider accept it (point them at it with AWS_ENDPOINT_URL_SSO_OIDC and AWS_ENDPOINT_URL_SSO):

* sso-oidc ("SSO OIDC"): RegisterClient (POST /client/register), StartDeviceAuthorization
  (POST /device_authorization), CreateToken (POST /token) with the device-code and refresh-token grants.
* sso portal ("SSO"): GetRoleCredentials (GET /federation/credentials), ListAccounts (GET /assignment/accounts),
  ListAccountRoles (GET /assignment/roles), authenticated by the `x-amz-sso_bearer_token` header; Logout
  (POST /logout).
* GET /device?user_code=... (fake only): the verification page; visiting it approves that device code, the
  way a person approving in a browser would. StartDeviceAuthorization's verificationUri points here.

Errors are sent as the real services send them: the status code from the model, the error code in the
`x-amzn-ErrorType` header (botocore's rest-json parser reads the code from that header first, then a
`code`/`Code` or `__type` body member; the OAuth `error` member of sso-oidc bodies is NOT used for the code),
and a body of `{"error", "error_description"}` (sso-oidc) or `{"message"}` (portal). The portal answers
ForbiddenException (403, "No access") for an account or role the user is not assigned to, as the real
service does, although the SSO model does not list that error: botocore raises a plain ClientError for it.

The device flow: StartDeviceAuthorization answers `interval` (default 1, as the real service) and
`expiresIn`; CreateToken answers authorization_pending until `approve()` (or the verification page, or
`auto_approve_after`), slow_down while `slow_down_times` lasts, expired_token after the device code expires,
and a token once. botocore itself never polls; AWS CLI v2's poller sleeps `response.get("interval", 5)` and
adds 5 s per slow_down, and botocore hands an `interval` of 0 through as 0, so tests may set `interval = 0`.
A refreshToken comes only with a client registered with scopes (as the real service: a legacy, unscoped
login cannot be refreshed). Every control is a plain attribute set in `reset()`.

Answers that are not the service's: `page_next()` answers the next calls of an operation (or of any, "*") with
a page of the test's choosing, as a proxy (403, 407) or a captive portal (200 with HTML) in front of the service
would; botocore then sees a body that is not JSON. The call is still recorded.

Not faked: the authorization-code grant with PKCE and redirect URIs (answered UnsupportedGrantTypeException),
CreateTokenWithIAM, idToken, SigV4 (all faked operations are unsigned in the models too), regions (any
region reaches the same state), several users (the state is one user's assignments), permission-set session
durations per role, and any throttling except what a test injects with `fail_next`.
"""

from __future__ import annotations

import copy
import itertools
import json
import secrets
import string
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any, NamedTuple, Optional
from urllib.parse import parse_qs, urlsplit

from localserver import LocalServer

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
REFRESH_GRANT = "refresh_token"
DEFAULT_START_URL = "https://d-1234567890.awsapps.com/start"
DEFAULT_SCOPE = "sso:account:access"
# The real services append the Coral namespace; botocore keeps what precedes the first ':'.
ERROR_TYPE_SUFFIX = ":http://internal.amazon.com/coral/com.amazonaws.switchboard.portal/"

# sso-oidc errors: status code from the model and the OAuth `error` string the service puts in the body.
OIDC_ERRORS: dict[str, tuple[int, str]] = {
    "AccessDeniedException": (400, "access_denied"),
    "AuthorizationPendingException": (400, "authorization_pending"),
    "ExpiredTokenException": (400, "expired_token"),
    "InternalServerException": (500, "server_error"),
    "InvalidClientException": (401, "invalid_client"),
    "InvalidClientMetadataException": (400, "invalid_client_metadata"),
    "InvalidGrantException": (400, "invalid_grant"),
    "InvalidRequestException": (400, "invalid_request"),
    "InvalidScopeException": (400, "invalid_scope"),
    "SlowDownException": (400, "slow_down"),
    "UnauthorizedClientException": (400, "unauthorized_client"),
    "UnsupportedGrantTypeException": (400, "unsupported_grant_type"),
}
PORTAL_ERRORS: dict[str, int] = {
    "InvalidRequestException": 400,
    "UnauthorizedException": 401,
    "ForbiddenException": 403,  # not in the model; the real service's answer for "No access"
    "ResourceNotFoundException": 404,
    "TooManyRequestsException": 429,
}
ROUTES: dict[tuple[str, str], str] = {
    ("POST", "/client/register"): "RegisterClient",
    ("POST", "/device_authorization"): "StartDeviceAuthorization",
    ("POST", "/token"): "CreateToken",
    ("GET", "/federation/credentials"): "GetRoleCredentials",
    ("GET", "/assignment/accounts"): "ListAccounts",
    ("GET", "/assignment/roles"): "ListAccountRoles",
    ("POST", "/logout"): "Logout",
    ("GET", "/device"): "VerifyDevice",
}
OIDC_OPERATIONS = frozenset({"RegisterClient", "StartDeviceAuthorization", "CreateToken", "CreateTokenWithIAM"})
SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"

DEFAULT_ACCOUNTS: list[dict[str, Any]] = [
    {"accountId": "111111111111", "accountName": "dev", "emailAddress": "dev@example.com",
     "roles": ["AdministratorAccess", "ReadOnlyAccess", "eks-admin"]},
    {"accountId": "222222222222", "accountName": "staging", "emailAddress": "staging@example.com",
     "roles": ["admin", "eks-admin"]},
    {"accountId": "333333333333", "accountName": "prod", "emailAddress": "prod@example.com",
     "roles": ["ReadOnlyAccess"]},
    {"accountId": "444444444444", "accountName": "Shared Services", "emailAddress": "shared@example.com",
     "roles": ["AdministratorAccess", "admin"]},
    {"accountId": "555555555555", "accountName": "sandbox", "emailAddress": "sandbox@example.com",
     "roles": ["PowerUserAccess"]},
]  # fmt: skip


class Call(NamedTuple):
    """One request as the fake received it."""

    operation: str
    method: str
    path: str
    query: dict[str, str]
    token: Optional[str]
    body: Optional[dict[str, Any]]


class ServiceError(Exception):
    def __init__(self, code: str, message: str = "", status: Optional[int] = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.status = code, message, status


@dataclass
class _Client:
    secret: str
    scopes: list[str]
    expires_at: float


@dataclass
class _Device:
    client_id: str
    user_code: str
    expires_at: float
    state: str = "pending"  # pending | approved | denied | redeemed
    pending_answers: int = 0
    last_poll: Optional[float] = None


@dataclass
class _Token:  # an access token or a refresh token; `session` ties them together for Logout
    client_id: str
    session: str
    expires_at: float
    revoked: bool = False


class SsoFake(LocalServer):
    """The fake. Every attribute set in `reset()` is a control a test may change at any time."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self.reset()

    def reset(self) -> None:
        """Back to the defaults, with no clients, devices, tokens or recorded calls (the server keeps running)."""
        with self._lock:
            self.accounts: list[dict[str, Any]] = copy.deepcopy(DEFAULT_ACCOUNTS)
            self.page_size = 2  # the most items a page holds, whatever max_result asks for
            self.start_url: Optional[str] = DEFAULT_START_URL  # None: any startUrl is accepted
            self.known_scopes: Optional[set[str]] = {DEFAULT_SCOPE, "openid"}  # None: any scope is accepted
            self.registration_ttl = 90 * 86400  # clientSecretExpiresAt, as the real service: 90 days
            self.interval = 1  # StartDeviceAuthorization's `interval` (the real service says 1)
            self.device_code_expires_in = 600
            self.auto_approve_after: Optional[int] = None  # approve after this many authorization_pending
            self.slow_down_times = 0  # answer slow_down to this many device-code polls first
            self.enforce_interval = False  # answer slow_down to a poll sooner than `interval` after the last
            self.access_token_ttl = 8 * 3600
            self.issue_refresh_tokens = True
            self.refresh_requires_scopes = True  # as the real service: no refreshToken for an unscoped client
            self.rotate_refresh_tokens = True  # a used refreshToken is replaced and stops working
            self.refresh_token_ttl = 90 * 86400
            self.credentials_ttl = 3600
            self.forbidden: set[tuple[str, str]] = set()  # (account_id, role_name): ForbiddenException
            self.latency = 0.0
            self.sleep: Callable[[float], None] = time.sleep  # how the latency is waited
            self.clock: Callable[[], float] = time.time
            self.calls: list[Call] = []
            self.issued_credentials: list[dict[str, Any]] = []  # roleCredentials + accountId and roleName
            self._failures: dict[str, list[ServiceError]] = {}
            self._foreign_pages: dict[str, list[tuple[int, bytes, str]]] = {}
            self._clients: dict[str, _Client] = {}
            self._devices: dict[str, _Device] = {}
            self._access: dict[str, _Token] = {}
            self._refresh: dict[str, _Token] = {}
            self._pages: dict[str, tuple[str, int]] = {}

    # --- lifecycle -------------------------------------------------------------------------------------

    # --- controls --------------------------------------------------------------------------------------

    def approve(self, user_code: Optional[str] = None) -> int:
        """Approve the pending device authorization with `user_code`, or all pending ones; return how many."""
        return self._decide(user_code, "approved")

    def deny(self, user_code: Optional[str] = None) -> int:
        """Deny as `approve` approves: the next poll answers AccessDeniedException."""
        return self._decide(user_code, "denied")

    def expire_all_tokens(self, *, include_refresh_tokens: bool = False) -> None:
        with self._lock:
            now = self.clock()
            for token in [*self._access.values(), *(self._refresh.values() if include_refresh_tokens else [])]:
                token.expires_at = min(token.expires_at, now - 1)

    def fail_next(
        self, operation: str, code: str, times: int = 1, message: str = "", status: Optional[int] = None
    ) -> None:
        """Answer the next `times` calls of `operation` with error `code` (status from the model unless given)."""
        with self._lock:
            self._failures.setdefault(operation, []).extend([ServiceError(code, message, status)] * times)

    def page_next(
        self,
        operation: str,
        status: int,
        body: bytes,
        *,
        times: int = 1,
        content_type: str = "text/html; charset=utf-8",
    ) -> None:
        """Answer the next `times` calls of `operation` ("*": of any) with this status and body, not the
        service's: what a proxy's 403 or 407 page, or a captive portal's 200 page, in front of it looks like."""
        with self._lock:
            self._foreign_pages.setdefault(operation, []).extend([(status, body, content_type)] * times)

    def issue_tokens(self, scopes: tuple[str, ...] = (DEFAULT_SCOPE,)) -> dict[str, Any]:
        """A registered client and tokens as after an approved device flow, without its calls. Returns the
        CreateToken answer plus clientId, clientSecret and clientSecretExpiresAt (epoch seconds)."""
        with self._lock:
            registration = self._register({"clientName": "seed", "clientType": "public", "scopes": list(scopes)})
            tokens = self._mint(registration["clientId"], secrets.token_hex(8))
            return {**registration, **tokens}

    def calls_to(self, operation: str) -> list[Call]:
        with self._lock:
            return [call for call in self.calls if call.operation == operation]

    # --- HTTP ------------------------------------------------------------------------------------------

    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        split = urlsplit(request.path)
        query = {name: values[0] for name, values in parse_qs(split.query, keep_blank_values=True).items()}
        raw = request.rfile.read(int(request.headers.get("Content-Length") or 0))
        operation = ROUTES.get((request.command, split.path), "Unknown")
        if operation == "CreateToken" and "aws_iam" in query:
            operation = "CreateTokenWithIAM"
        try:
            parsed: Any = json.loads(raw) if raw.strip() else None
        except ValueError:
            parsed = raw
        body = parsed if isinstance(parsed, dict) else None
        token = request.headers.get("x-amz-sso_bearer_token")
        call = Call(operation, request.command, split.path, query, token, body)
        if self.latency:
            self.sleep(self.latency)
        status, headers, payload = 200, {"Content-Type": "application/json"}, b""
        with self._lock:
            self.calls.append(call)
            foreign = self._foreign_pages.get(operation) or self._foreign_pages.get("*")
            if foreign:
                status, payload, content_type = foreign.pop(0)
                headers = {"Content-Type": content_type, "Content-Length": str(len(payload))}
                request.send_response(status)
                for name, value in headers.items():
                    request.send_header(name, value)
                request.end_headers()
                request.wfile.write(payload)
                return
            try:
                if parsed is not None and body is None:
                    raise ServiceError("InvalidRequestException", "The request body is not a JSON object")
                if self._failures.get(operation):
                    raise self._failures[operation].pop(0)
                answer = getattr(self, f"_op_{operation}")(call)
                if isinstance(answer, str):  # the fake's verification page
                    headers["Content-Type"] = "text/html; charset=utf-8"
                    payload = answer.encode()
                elif answer is not None:
                    payload = json.dumps(answer).encode()
            except Exception as exception:  # a bug in the fake still gets an answer, as a server fault
                failure = exception if isinstance(exception, ServiceError) else None
                failure = failure or ServiceError("InternalServerException", repr(exception), 500)
                status, payload = self._error_body(operation, failure)
                headers["x-amzn-ErrorType"] = failure.code + ERROR_TYPE_SUFFIX
        headers["x-amzn-RequestId"] = f"00000000-0000-4000-8000-{next(self._ids):012d}"
        headers["Content-Length"] = str(len(payload))
        request.send_response(status)
        for name, value in headers.items():
            request.send_header(name, value)
        request.end_headers()
        request.wfile.write(payload)

    def _error_body(self, operation: str, error: ServiceError) -> tuple[int, bytes]:
        if operation in OIDC_OPERATIONS:
            status, oauth_error = OIDC_ERRORS.get(error.code, (400, "invalid_request"))
            body: dict[str, Any] = {"error": oauth_error, "error_description": error.message or None}
        else:
            status, body = PORTAL_ERRORS.get(error.code, 400), {"message": error.message or None}
        return error.status or status, json.dumps(body).encode()

    # --- sso-oidc --------------------------------------------------------------------------------------

    def _op_RegisterClient(self, call: Call) -> dict[str, Any]:
        return self._register(call.body or {})

    def _register(self, body: dict[str, Any]) -> dict[str, Any]:
        _require(body, "clientName", "clientType")
        if body["clientType"] != "public":
            raise ServiceError("InvalidClientMetadataException", "clientType must be public")
        scopes = list(body.get("scopes") or [])
        unknown = [scope for scope in scopes if self.known_scopes is not None and scope not in self.known_scopes]
        if unknown:
            raise ServiceError("InvalidScopeException", f"Invalid scopes: {', '.join(unknown)}")
        now, client_id, secret = self.clock(), secrets.token_urlsafe(16), secrets.token_urlsafe(96)
        self._clients[client_id] = _Client(secret, scopes, now + self.registration_ttl)
        expires = int(now + self.registration_ttl)
        return {
            "clientId": client_id,
            "clientSecret": secret,
            "clientIdIssuedAt": int(now),
            "clientSecretExpiresAt": expires,
        }

    def _op_StartDeviceAuthorization(self, call: Call) -> dict[str, Any]:
        body = call.body or {}
        _require(body, "clientId", "clientSecret", "startUrl")
        self._client(body)
        if self.start_url is not None and body["startUrl"].rstrip("/#") != self.start_url.rstrip("/#"):
            raise ServiceError("InvalidRequestException", "Invalid start url")
        device_code, letters = (
            secrets.token_urlsafe(32),
            "".join(secrets.choice(string.ascii_uppercase) for _ in range(8)),
        )
        user_code = f"{letters[:4]}-{letters[4:]}"
        self._devices[device_code] = _Device(body["clientId"], user_code, self.clock() + self.device_code_expires_in)
        return {
            "deviceCode": device_code,
            "userCode": user_code,
            "verificationUri": f"{self.url}/device",
            "verificationUriComplete": f"{self.url}/device?user_code={user_code}",
            "expiresIn": self.device_code_expires_in,
            "interval": self.interval,
        }

    def _op_CreateToken(self, call: Call) -> dict[str, Any]:
        body = call.body or {}
        _require(body, "clientId", "clientSecret", "grantType")
        self._client(body)
        if body["grantType"] == DEVICE_GRANT:
            return self._device_grant(body)
        if body["grantType"] == REFRESH_GRANT:
            return self._refresh_grant(body)
        raise ServiceError("UnsupportedGrantTypeException", f"Grant type not faked: {body['grantType']}")

    def _op_CreateTokenWithIAM(self, call: Call) -> None:
        raise ServiceError("UnauthorizedClientException", "CreateTokenWithIAM is not faked")

    def _device_grant(self, body: dict[str, Any]) -> dict[str, Any]:
        _require(body, "deviceCode")
        device = self._devices.get(body["deviceCode"])
        if device is None or device.client_id != body["clientId"] or device.state == "redeemed":
            raise ServiceError("InvalidGrantException", "Invalid grant provided")
        now = self.clock()
        if now >= device.expires_at:
            raise ServiceError("ExpiredTokenException", "Device code has expired")
        if device.state == "denied":
            raise ServiceError("AccessDeniedException", "Authorization was denied")
        too_soon = self.enforce_interval and device.last_poll is not None and now - device.last_poll < self.interval
        device.last_poll = now
        if self.slow_down_times > 0 or too_soon:
            self.slow_down_times = max(0, self.slow_down_times - 1)
            raise ServiceError("SlowDownException", "Client is polling too fast")
        if device.state == "pending" and self.auto_approve_after is not None:
            if device.pending_answers >= self.auto_approve_after:
                device.state = "approved"
        if device.state == "pending":
            device.pending_answers += 1
            raise ServiceError("AuthorizationPendingException", "Authorization is still pending")
        device.state = "redeemed"
        return self._mint(device.client_id, secrets.token_hex(8))

    def _refresh_grant(self, body: dict[str, Any]) -> dict[str, Any]:
        _require(body, "refreshToken")
        old = self._refresh.get(body["refreshToken"])
        if old is None or old.revoked or old.client_id != body["clientId"] or self.clock() >= old.expires_at:
            raise ServiceError("InvalidGrantException", "Invalid refresh token provided")
        old.revoked = old.revoked or self.rotate_refresh_tokens
        return self._mint(old.client_id, old.session)

    def _client(self, body: dict[str, Any]) -> _Client:
        client = self._clients.get(body["clientId"])
        if client is None or not secrets.compare_digest(client.secret, str(body["clientSecret"])):
            raise ServiceError("InvalidClientException", "Invalid client provided")
        if self.clock() >= client.expires_at:
            raise ServiceError("InvalidClientException", "Client registration has expired")
        return client

    def _mint(self, client_id: str, session: str) -> dict[str, Any]:
        now, client, access = self.clock(), self._clients[client_id], "aoa" + secrets.token_urlsafe(96)
        self._access[access] = _Token(client_id, session, now + self.access_token_ttl)
        answer: dict[str, Any] = {"accessToken": access, "tokenType": "Bearer", "expiresIn": self.access_token_ttl}
        if self.issue_refresh_tokens and (client.scopes or not self.refresh_requires_scopes):
            answer["refreshToken"] = refresh = "aor" + secrets.token_urlsafe(96)
            self._refresh[refresh] = _Token(client_id, session, now + self.refresh_token_ttl)
        return answer

    # --- sso portal ------------------------------------------------------------------------------------

    def _session(self, call: Call) -> _Token:
        found = self._access.get(call.token or "")
        if found is None or found.revoked or self.clock() >= found.expires_at:
            raise ServiceError("UnauthorizedException", "Session token not found or invalid")
        return found

    def _account(self, account_id: str) -> dict[str, Any]:
        for account in self.accounts:
            if account["accountId"] == account_id:
                return account
        raise ServiceError("ForbiddenException", "No access")

    def _op_ListAccounts(self, call: Call) -> dict[str, Any]:
        self._session(call)
        keys = ("accountId", "accountName", "emailAddress")
        return self._page("accountList", [{key: account[key] for key in keys} for account in self.accounts], call)

    def _op_ListAccountRoles(self, call: Call) -> dict[str, Any]:
        self._session(call)
        _require(call.query, "account_id")
        account = self._account(call.query["account_id"])
        roles = [{"roleName": role, "accountId": account["accountId"]} for role in account["roles"]]
        return self._page("roleList", roles, call)

    def _page(self, key: str, items: list[dict[str, Any]], call: Call) -> dict[str, Any]:
        """At most `page_size` items, whatever max_result asks; a nextToken is good for its own listing only."""
        limit, token = call.query.get("max_result", str(self.page_size)), call.query.get("next_token")
        if not limit.isdigit() or not 1 <= int(limit) <= 100:
            raise ServiceError("InvalidRequestException", "max_result must be between 1 and 100")
        listing, start = f"{key}:{call.query.get('account_id')}", 0
        if token:
            if self._pages.get(token, ("", 0))[0] != listing:
                raise ServiceError("InvalidRequestException", "Invalid next token")
            start = self._pages[token][1]
        end = start + min(int(limit), self.page_size)
        answer: dict[str, Any] = {key: items[start:end]}
        if end < len(items):
            answer["nextToken"] = secrets.token_urlsafe(24)
            self._pages[answer["nextToken"]] = (listing, end)
        return answer

    def _op_GetRoleCredentials(self, call: Call) -> dict[str, Any]:
        self._session(call)
        _require(call.query, "role_name", "account_id")
        account_id, role_name = call.query["account_id"], call.query["role_name"]
        if role_name not in self._account(account_id)["roles"] or (account_id, role_name) in self.forbidden:
            raise ServiceError("ForbiddenException", "No access")
        issued_keys, key_id = {issued["accessKeyId"] for issued in self.issued_credentials}, ""
        while not key_id or key_id in issued_keys:
            key_id = "ASIA" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(16))
        credentials = {
            "accessKeyId": key_id,
            "secretAccessKey": "".join(secrets.choice(SECRET_ALPHABET) for _ in range(40)),
            "sessionToken": "IQoJb3JpZ2luX2VjE" + secrets.token_urlsafe(300),
            "expiration": int((self.clock() + self.credentials_ttl) * 1000),  # epoch milliseconds
        }
        self.issued_credentials.append({**credentials, "accountId": account_id, "roleName": role_name})
        return {"roleCredentials": credentials}

    def _op_Logout(self, call: Call) -> None:
        session = self._session(call).session
        for issued in [*self._access.values(), *self._refresh.values()]:
            issued.revoked = issued.revoked or issued.session == session

    # --- fake only -------------------------------------------------------------------------------------

    def _op_VerifyDevice(self, call: Call) -> str:
        if not call.query.get("user_code") or not self._decide(call.query["user_code"], "approved"):
            raise ServiceError("ResourceNotFoundException", "No pending authorization for that user code")
        return "<html><body>Request approved. You can close this window.</body></html>"

    def _op_Unknown(self, call: Call) -> None:
        raise ServiceError("UnknownOperationException", "No such operation in this fake", 404)

    def _decide(self, user_code: Optional[str], state: str) -> int:
        with self._lock:
            chosen = [d for d in self._devices.values() if d.state == "pending" and user_code in (None, d.user_code)]
            for device in chosen:
                device.state = state
            return len(chosen)


def _require(values: dict[str, Any], *names: str) -> None:
    missing = [name for name in names if values.get(name) in (None, "")]
    if missing:
        raise ServiceError("InvalidRequestException", f"Missing required parameters: {', '.join(missing)}")
