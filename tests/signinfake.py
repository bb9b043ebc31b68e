"""A fake of AWS Sign-In's developer-tools login (`aws login`) for tests, speaking the real wire protocol.

One HTTP server on 127.0.0.1 plays the sign-in endpoint that botocore resolves for its `signin` client, so both
the browser side and the token endpoint move with AWS_ENDPOINT_URL_SIGNIN, as they do for AWS CLI v2:

* GET /v1/authorize: the OAuth 2.0 authorization endpoint with PKCE, as AWS CLI v2 2.32 builds the URL
  (awscli/customizations/login/utils.py): response_type=code, client_id (one of the two devtools client ARNs),
  state, code_challenge_method=SHA-256 (AWS's spelling, not RFC 7636's S256), scope=openid, redirect_uri and
  code_challenge (base64url of SHA-256 of the verifier, no padding). The "person" at the browser is
  `principal_arn`: the fake signs them in at once and answers 302 to redirect_uri with `code` and `state`
  (or with `error=access_denied` when `user_denies`). A client_id or redirect_uri it cannot trust gets a 400
  page and no redirect, as OAuth requires.
* GET /v1/sessions/confirmation: the cross-device redirect target. Its page shows the code the person pastes
  into the CLI: base64 (standard alphabet, padded) of `state=…&code=…`, which AWS CLI v2 decodes with
  b64decode and parse_qsl.
* POST /v1/token: signin:CreateOAuth2Token exactly as botocore's `signin` REST-JSON model defines it. The body
  is the `tokenInput` payload ({clientId, grantType, code, codeVerifier, redirectUri} or {clientId, grantType,
  refreshToken}); the answer is the `tokenOutput` payload ({accessToken: {accessKeyId, secretAccessKey,
  sessionToken}, tokenType: "aws_sigv4", expiresIn, refreshToken, idToken (authorization_code only)}).
  Unsigned, but every call must carry a `DPoP` header: an ES256 JWT (RFC 9449) whose header holds
  typ=dpop+jwt and the public `jwk`, and whose claims are htm=POST, htu (this URL, no query), iat (within
  `dpop_max_age` before and `dpop_future_skew` after the fake's clock) and a jti never seen before; the raw
  r||s signature must verify against the jwk. The refresh token is bound to that key (the model's "cnf.jkt"):
  a refresh must be proven with the key that redeemed the code.

Errors are sent as botocore parses them: the error shape's name in `x-amzn-ErrorType`, and the body
{"error": <OAuth2ErrorCode>, "message": …}; botocore merges `error` into the ClientError's response, which is
where its LoginProvider reads TOKEN_EXPIRED, USER_CREDENTIALS_CHANGED and INSUFFICIENT_PERMISSIONS. Statuses
follow the model's notes: AccessDeniedException is 401 for TOKEN_EXPIRED and AUTHCODE_EXPIRED and 403 for
USER_CREDENTIALS_CHANGED and INSUFFICIENT_PERMISSIONS; ValidationException 400; TooManyRequestsError 429;
InternalServerException 500. A used, unknown or mismatched code or refresh token answers ValidationException
INVALID_REQUEST "The provided authorization grant is invalid, expired, revoked, or malformed" (the real
service's words in aws/aws-cli#10613); an expired refresh token (the console session's end) answers
AccessDeniedException TOKEN_EXPIRED "The refresh token has expired." (aws/aws-cli#10330). What the real
service answers for a bad DPoP proof is not documented: the fake answers ValidationException INVALID_REQUEST
"Invalid DPoP proof: <why>".

Refresh tokens rotate: each refresh answers a new one and the used one is refused. The model's documentation
calls the refresh grant "idempotent within token validity window", so `refresh_replay_window` (seconds, 0 by
default) makes a used refresh token, presented again that soon with the same key, answer the same tokens again.

Every control is a plain attribute set in `reset()`; `clock` is used for everything time-based (code and
session lifetimes, expiresIn, the DPoP iat window). Credentials minted are kept in `issued`, and `principals`
maps each access key id to the signed-in principal's ARN, for a recording proxy that answers
sts:GetCallerIdentity (`caller_identity_xml`).

The bottom of this module is a minimal test-only client (PKCE + DPoP with `cryptography`, a one-shot callback
listener, and `browse`: a browser that follows the authorize URL as a person would) that writes the token cache
as AWS CLI v2 writes it. Run as a script (`python signinfake.py URL`), it is a BROWSER for webbrowser: it
detaches, follows URL, and appends what it saw to $SIGNINFAKE_BROWSER_LOG as a JSON line.

Not faked: the console's sign-in pages and session picker, MFA, CreateOAuth2TokenWithIAM and the other
operations of the model, regions and partitions (any Host reaches the same state), form-encoded bodies'
error edge cases, and revocation of a whole token chain when a refresh token is reused.
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import itertools
import json
import os
import re
import secrets
import string
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, NamedTuple, Optional

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from localserver import LocalServer

SAME_DEVICE = "arn:aws:signin:::devtools/same-device"
CROSS_DEVICE = "arn:aws:signin:::devtools/cross-device"
CLIENT_IDS = (SAME_DEVICE, CROSS_DEVICE)
AUTHORIZE_PATH = "/v1/authorize"
CONFIRMATION_PATH = "/v1/sessions/confirmation"
TOKEN_PATH = "/v1/token"
AUTH_CODE_GRANT = "authorization_code"
REFRESH_GRANT = "refresh_token"
DEFAULT_PRINCIPAL = "arn:aws:iam::123456789012:user/alice"
ID_TOKEN_ISSUER = "https://signin.aws.amazon.com/signin"

# The real service's words, where an issue quotes them; the others are the fake's.
INVALID_GRANT = "The provided authorization grant is invalid, expired, revoked, or malformed"
MESSAGES = {
    "TOKEN_EXPIRED": "The refresh token has expired.",
    "AUTHCODE_EXPIRED": "The authorization code has expired.",
    "USER_CREDENTIALS_CHANGED": "The user's credentials have changed since this session began.",
    "INSUFFICIENT_PERMISSIONS": "The principal is not authorized to perform signin:CreateOAuth2Token.",
}
# Error shapes of CreateOAuth2Token and their status codes (AccessDeniedException's depends on the kind).
ERROR_STATUS = {"ValidationException": 400, "TooManyRequestsError": 429, "InternalServerException": 500}
ACCESS_DENIED_STATUS = {"TOKEN_EXPIRED": 401, "AUTHCODE_EXPIRED": 401}  # else 403
DEFAULT_ERROR_KIND = {
    "AccessDeniedException": "TOKEN_EXPIRED",
    "ValidationException": "INVALID_REQUEST",
    "TooManyRequestsError": "INVALID_REQUEST",
    "InternalServerException": "server_error",
}
ROUTES = {
    ("GET", AUTHORIZE_PATH): "Authorize",
    ("GET", CONFIRMATION_PATH): "Confirmation",
    ("POST", TOKEN_PATH): "CreateOAuth2Token",
}
# The model's CodeVerifier shape: 43 to 128 unreserved characters (RFC 7636).
VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
CHALLENGE = re.compile(r"[A-Za-z0-9\-_]{43}")
KEY_ALPHABET = string.ascii_uppercase + "234567"
SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"


class Clock:
    """A clock for `SigninFake.clock` and the client: starts now, moves only when told."""

    def __init__(self, start: Optional[float] = None) -> None:
        self.now = time.time() if start is None else start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Call(NamedTuple):
    """One request as the fake received it, and what it answered."""

    operation: str
    method: str
    path: str
    query: dict[str, str]
    body: Optional[dict[str, Any]]
    dpop: Optional[dict[str, Any]]  # the proof's decoded {"header", "claims"}, whether or not it verified
    status: int
    error: Optional[str]  # "<shape>/<error kind>: <message>" when refused


class ServiceError(Exception):
    def __init__(self, code: str, kind: Optional[str] = None, message: str = "", status: Optional[int] = None):
        kind = kind or DEFAULT_ERROR_KIND.get(code, "INVALID_REQUEST")
        super().__init__(f"{code}/{kind}: {message}")
        self.code, self.kind, self.message = code, kind, message or MESSAGES.get(kind, kind)
        if status is None:
            status = ACCESS_DENIED_STATUS.get(kind, 403) if code == "AccessDeniedException" else None
        self.status = status or ERROR_STATUS.get(code, 400)


class _Page(NamedTuple):  # an HTML answer of the browser side
    status: int
    html: str
    location: Optional[str] = None


@dataclass
class _Failure:
    error: ServiceError
    grant: Optional[str]  # None: any grant


@dataclass
class Session:
    """One console sign-in: what every token of one login shares."""

    principal_arn: str
    started: float
    ends: float
    credentials_changed: bool = False


@dataclass
class _Code:
    session: Session
    client_id: str
    redirect_uri: Optional[str]
    challenge: str
    expires_at: float
    used: bool = False


@dataclass
class _Refresh:
    session: Session
    client_id: str
    jkt: str  # the thumbprint of the key that redeemed the code (the model's cnf.jkt)
    used_at: Optional[float] = None
    answer: Optional[dict[str, Any]] = None  # what its use answered, for `refresh_replay_window`


@dataclass
class Issued:
    """Credentials the fake minted."""

    access_key_id: str
    secret_access_key: str
    session_token: str
    principal_arn: str
    expires_at: float
    grant: str
    refresh_token: str = field(repr=False, default="")


class SigninFake(LocalServer):
    """The fake. Every attribute set in `reset()` is a control a test may change at any time."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self._id_token_key = ec.generate_private_key(ec.SECP384R1())
        self._id_token_kid = str(uuid.uuid4())
        self.reset()

    def reset(self) -> None:
        """Back to the defaults, with no codes, tokens or recorded calls (the server keeps running)."""
        with self._lock:
            self.principal_arn = DEFAULT_PRINCIPAL  # who signs in at the browser
            self.user_denies = False  # the person refuses: the redirect carries error=access_denied
            self.denied_principals: set[str] = set()  # no SignInLocalDevelopmentAccess: INSUFFICIENT_PERMISSIONS
            self.session_duration = 12 * 3600.0  # how long refresh works (the CLI's docs: up to 12 hours)
            self.credentials_ttl = 900  # expiresIn, capped by the session's end (the model: at most 900)
            self.code_ttl = 300.0  # an authorization code's life
            self.dpop_max_age = 300.0  # a proof's iat may be this old...
            self.dpop_future_skew = 60.0  # ...or this far ahead of the fake's clock
            self.refresh_replay_window = 0.0  # > 0: a used refresh token answers the same tokens this long
            self.latency = 0.0  # seconds slept before every answer
            self.clock: Callable[[], float] = time.time
            self.calls: list[Call] = []
            self.issued: list[Issued] = []
            self.sessions: list[Session] = []
            self._failures: dict[str, list[_Failure]] = {}
            self._codes: dict[str, _Code] = {}
            self._refresh: dict[str, _Refresh] = {}
            self._jtis: set[str] = set()

    # --- lifecycle -------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The sign-in endpoint: what AWS_ENDPOINT_URL_SIGNIN is set to."""
        return super().url

    @property
    def token_url(self) -> str:
        return self.url + TOKEN_PATH

    @property
    def confirmation_url(self) -> str:
        return self.url + CONFIRMATION_PATH

    # --- controls and what the fake saw ----------------------------------------------------------------

    def fail_next(
        self,
        code: str = "AccessDeniedException",
        kind: Optional[str] = None,
        *,
        times: int = 1,
        grant: Optional[str] = None,
        message: str = "",
        status: Optional[int] = None,
        operation: str = "CreateOAuth2Token",
    ) -> None:
        """Answer the next `times` calls of `operation` (of `grant`, if given) with error shape `code` and
        OAuth2ErrorCode `kind`, e.g. fail_next("AccessDeniedException", "USER_CREDENTIALS_CHANGED"),
        fail_next("InternalServerException"), fail_next("TooManyRequestsError", times=3). The DPoP proof is
        checked first; the request has no other effect. For "Authorize" the browser gets an error page."""
        failure = _Failure(ServiceError(code, kind, message, status), grant)
        with self._lock:
            self._failures.setdefault(operation, []).extend([failure] * times)

    def change_credentials(self, principal_arn: Optional[str] = None) -> None:
        """The person changes their password: refreshes of sessions begun before answer USER_CREDENTIALS_CHANGED."""
        with self._lock:
            for session in self.sessions:
                if principal_arn in (None, session.principal_arn):
                    session.credentials_changed = True

    def end_sessions(self) -> None:
        """Every console session reaches its end now: refreshes answer TOKEN_EXPIRED."""
        with self._lock:
            now = self.clock()
            for session in self.sessions:
                session.ends = min(session.ends, now)

    def calls_to(self, operation: str) -> list[Call]:
        with self._lock:
            return [call for call in self.calls if call.operation == operation]

    @property
    def refreshes(self) -> int:
        """Refresh grants answered with tokens (replays within `refresh_replay_window` included)."""
        with self._lock:
            return sum(1 for issued in self.issued if issued.grant == REFRESH_GRANT)

    @property
    def redemptions(self) -> int:
        """Authorization codes redeemed for tokens."""
        with self._lock:
            return sum(1 for issued in self.issued if issued.grant == AUTH_CODE_GRANT)

    @property
    def principals(self) -> dict[str, str]:
        """access key id -> the ARN of the principal who signed in (what sts:GetCallerIdentity names)."""
        with self._lock:
            return {issued.access_key_id: issued.principal_arn for issued in self.issued}

    def caller_identity(self, access_key_id: str) -> Optional[dict[str, str]]:
        """sts:GetCallerIdentity's answer for credentials this fake minted, else None."""
        arn = self.principals.get(access_key_id)
        if arn is None:
            return None
        account, resource = arn.split(":")[4], arn.split(":", 5)[5]
        digest = base64.b32encode(hashlib.sha256(arn.encode()).digest()).decode()[:17]
        if resource.startswith("assumed-role/"):
            user_id = f"AROA{digest}:{resource.rsplit('/', 1)[-1]}"
        elif resource == "root":
            user_id = account
        else:
            user_id = f"AIDA{digest}"
        return {"UserId": user_id, "Account": account, "Arn": arn}

    def caller_identity_xml(self, access_key_id: str) -> Optional[bytes]:
        """The same, as the XML body STS sends."""
        identity = self.caller_identity(access_key_id)
        if identity is None:
            return None
        result = "".join(f"<{name}>{value}</{name}>" for name, value in identity.items())
        return (
            '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
            f"<GetCallerIdentityResult>{result}</GetCallerIdentityResult>"
            f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>"
            "</GetCallerIdentityResponse>"
        ).encode()

    # --- HTTP ------------------------------------------------------------------------------------------

    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        split = urllib.parse.urlsplit(request.path)
        query = {name: values[0] for name, values in urllib.parse.parse_qs(split.query, keep_blank_values=True).items()}
        raw = request.rfile.read(int(request.headers.get("Content-Length") or 0))
        operation = ROUTES.get((request.command, split.path), "Unknown")
        if operation == "CreateOAuth2Token" and split.query:
            operation = "Unknown"  # CreateOAuth2TokenWithIAM and friends (?x-amz-client-auth-method=iam)
        body = _parse_body(raw, request.headers.get("Content-Type", ""))
        origin = "http://" + (request.headers.get("Host") or self.url.split("://", 1)[1])
        if self.latency:
            time.sleep(self.latency)
        status, headers, payload = 200, {"Content-Type": "application/json"}, b""
        dpop: Optional[dict[str, Any]] = None
        error: Optional[str] = None
        with self._lock:
            try:
                if operation == "CreateOAuth2Token":
                    dpop = _decode_proof(request.headers.get("DPoP"))
                    answer = self._create_oauth2_token(body, raw, request.headers.get("DPoP"), origin + split.path)
                    payload = json.dumps(answer).encode()
                elif operation in ("Authorize", "Confirmation"):
                    page = self._authorize(query, origin) if operation == "Authorize" else self._confirmation(query)
                    status, payload = page.status, page.html.encode()
                    headers["Content-Type"] = "text/html; charset=utf-8"
                    if page.location:
                        headers["Location"] = page.location
                else:
                    raise ServiceError("UnknownOperationException", "RESOURCE_NOT_FOUND", "Not faked", 404)
            except ServiceError as failure:
                status, error = failure.status, f"{failure.code}/{failure.kind}: {failure.message}"
                payload = json.dumps({"error": failure.kind, "message": failure.message}).encode()
                headers["x-amzn-ErrorType"] = failure.code
            except Exception as exception:  # a bug in the fake still gets an answer, as a server fault
                status, error = 500, f"InternalServerException/server_error: {exception!r}"
                payload = json.dumps({"error": "server_error", "message": repr(exception)}).encode()
                headers["x-amzn-ErrorType"] = "InternalServerException"
            self.calls.append(Call(operation, request.command, split.path, query, body, dpop, status, error))
        headers["x-amzn-RequestId"] = f"00000000-0000-4000-8000-{next(self._ids):012d}"
        headers["Content-Length"] = str(len(payload))
        request.send_response(status)
        for name, value in headers.items():
            request.send_header(name, value)
        request.end_headers()
        request.wfile.write(payload)

    def _take_failure(self, operation: str, grant: Optional[str] = None) -> None:
        pending = self._failures.get(operation, [])
        for index, failure in enumerate(pending):
            if failure.grant in (None, grant):
                del pending[index]
                raise failure.error

    # --- the browser side ------------------------------------------------------------------------------

    def _authorize(self, query: dict[str, str], origin: str) -> _Page:
        client_id, redirect_uri = query.get("client_id", ""), query.get("redirect_uri")
        if client_id not in CLIENT_IDS:
            return _error_page(400, f"Unknown client_id {client_id!r}")
        if redirect_uri is None or not _trusted_redirect(client_id, redirect_uri, origin):
            return _error_page(400, f"redirect_uri {redirect_uri!r} is not allowed for {client_id}")
        state = query.get("state", "")

        def refuse(error: str, description: str) -> _Page:
            arguments = {"error": error, "error_description": description, **({"state": state} if state else {})}
            return _redirect(redirect_uri, arguments)

        try:
            self._take_failure("Authorize")
        except ServiceError as failure:
            return _error_page(failure.status, failure.message)
        problems = [
            f"{name} must be {expected!r}"
            for name, expected in (("response_type", "code"), ("scope", "openid"), ("code_challenge_method", "SHA-256"))
            if query.get(name) != expected
        ]
        if not CHALLENGE.fullmatch(query.get("code_challenge", "")):
            problems.append("code_challenge must be the unpadded base64url SHA-256 of the code verifier")
        if not state:
            problems.append("state is required")
        if problems:
            return refuse("invalid_request", "; ".join(problems))
        if self.user_denies:
            return refuse("access_denied", "The user denied the request")
        now = self.clock()
        session = Session(self.principal_arn, now, now + self.session_duration)
        self.sessions.append(session)
        code = secrets.token_urlsafe(48)
        self._codes[code] = _Code(session, client_id, redirect_uri, query["code_challenge"], now + self.code_ttl)
        return _redirect(redirect_uri, {"code": code, "state": state})

    def _confirmation(self, query: dict[str, str]) -> _Page:
        if "error" in query:
            return _error_page(400, f"Sign-in failed: {query['error']}: {query.get('error_description', '')}")
        if not query.get("code") or not query.get("state"):
            return _error_page(400, "Nothing to confirm")
        paste = base64.b64encode(f"state={query['state']}&code={query['code']}".encode()).decode()
        return _Page(
            200,
            "<html><body><h1>Sign-in complete</h1><p>Enter this authorization code in your terminal:</p>"
            f'<code id="verification-code">{paste}</code></body></html>',
        )

    # --- CreateOAuth2Token -----------------------------------------------------------------------------

    def _create_oauth2_token(self, body: Optional[dict[str, Any]], raw: bytes, proof: Optional[str], htu: str) -> Any:
        if body is None:
            raise ServiceError("ValidationException", message="The request body is not a JSON object")
        missing = [name for name in ("clientId", "grantType") if not body.get(name)]
        if missing:
            raise ServiceError("ValidationException", message=f"Missing required fields: {', '.join(missing)}")
        if body["clientId"] not in CLIENT_IDS:
            raise ServiceError("ValidationException", message=f"Invalid clientId {body['clientId']!r}")
        jkt = self._verify_proof(proof, "POST", htu)
        grant = body["grantType"]
        self._take_failure("CreateOAuth2Token", grant)
        if grant == AUTH_CODE_GRANT:
            return self._redeem(body, jkt)
        if grant == REFRESH_GRANT:
            return self._refresh_grant(body, jkt)
        raise ServiceError("ValidationException", message=f"Unsupported grantType {grant!r}")

    def _redeem(self, body: dict[str, Any], jkt: str) -> dict[str, Any]:
        code = self._codes.get(str(body.get("code") or ""))
        if code is None or code.used:
            raise ServiceError("ValidationException", message=INVALID_GRANT)
        code.used = True  # one attempt per code, whatever comes of it
        if self.clock() >= code.expires_at:
            raise ServiceError("AccessDeniedException", "AUTHCODE_EXPIRED")
        if body["clientId"] != code.client_id:
            raise ServiceError("ValidationException", message=INVALID_GRANT)
        if code.redirect_uri is not None and body.get("redirectUri") != code.redirect_uri:
            raise ServiceError("ValidationException", message="redirectUri does not match the authorization request")
        verifier = str(body.get("codeVerifier") or "")
        if not VERIFIER.fullmatch(verifier) or pkce_challenge(verifier) != code.challenge:
            raise ServiceError("ValidationException", message="codeVerifier does not match the code_challenge")
        self._check_session(code.session)
        return self._mint(code.session, code.client_id, jkt, AUTH_CODE_GRANT)

    def _refresh_grant(self, body: dict[str, Any], jkt: str) -> dict[str, Any]:
        presented = str(body.get("refreshToken") or "")
        token = self._refresh.get(presented)
        if token is None or token.client_id != body["clientId"]:
            raise ServiceError("ValidationException", message=INVALID_GRANT)
        if token.jkt != jkt:
            raise ServiceError("ValidationException", message="Invalid DPoP proof: not the key this token is bound to")
        now = self.clock()
        if token.used_at is not None:
            window = self.refresh_replay_window
            if token.answer is not None and window > 0 and now - token.used_at <= window:
                self.issued.append(self._issued_from(token.answer, token.session, REFRESH_GRANT))
                return token.answer
            raise ServiceError("ValidationException", message=INVALID_GRANT)
        self._check_session(token.session)
        token.used_at = now
        token.answer = self._mint(token.session, token.client_id, jkt, REFRESH_GRANT)
        return token.answer

    def _check_session(self, session: Session) -> None:
        if self.clock() >= session.ends:
            raise ServiceError("AccessDeniedException", "TOKEN_EXPIRED")
        if session.credentials_changed:
            raise ServiceError("AccessDeniedException", "USER_CREDENTIALS_CHANGED")
        if session.principal_arn in self.denied_principals:
            raise ServiceError("AccessDeniedException", "INSUFFICIENT_PERMISSIONS")

    def _mint(self, session: Session, client_id: str, jkt: str, grant: str) -> dict[str, Any]:
        now = self.clock()
        expires_in = max(1, min(int(self.credentials_ttl), int(session.ends - now)))
        known = {issued.access_key_id for issued in self.issued}
        key_id = ""
        while not key_id or key_id in known:
            key_id = "ASIA" + "".join(secrets.choice(KEY_ALPHABET) for _ in range(16))
        refresh = "ASOR" + secrets.token_urlsafe(96)
        self._refresh[refresh] = _Refresh(session, client_id, jkt)
        answer: dict[str, Any] = {
            "accessToken": {
                "accessKeyId": key_id,
                "secretAccessKey": "".join(secrets.choice(SECRET_ALPHABET) for _ in range(40)),
                "sessionToken": "IQoJb3JpZ2luX2VjE" + secrets.token_urlsafe(300),
            },
            "tokenType": "aws_sigv4",
            "expiresIn": expires_in,
            "refreshToken": refresh,
        }
        if grant == AUTH_CODE_GRANT:  # the model: "Returns ... refresh_token (no id_token)" for a refresh
            answer["idToken"] = self._id_token(session, client_id, now)
        self.issued.append(self._issued_from(answer, session, grant))
        return answer

    def _issued_from(self, answer: dict[str, Any], session: Session, grant: str) -> Issued:
        credentials = answer["accessToken"]
        return Issued(
            credentials["accessKeyId"],
            credentials["secretAccessKey"],
            credentials["sessionToken"],
            session.principal_arn,
            self.clock() + answer["expiresIn"],
            grant,
            answer["refreshToken"],
        )

    def _id_token(self, session: Session, client_id: str, now: float) -> str:
        """Claims as in AWS's own test data: iss, iat, exp, aud (cli/, not devtools/), sub and session_arn,
        both the signed-in principal's ARN; AWS CLI v2 takes the login session (and accountId) from sub."""
        header = {"kid": self._id_token_kid, "typ": "JWT", "alg": "ES384"}
        claims = {
            "iss": ID_TOKEN_ISSUER,
            "iat": int(now),
            "exp": int(now) + 900,
            "aud": client_id.replace(":devtools/", ":cli/"),
            "sub": session.principal_arn,
            "session_arn": session.principal_arn,
        }
        signing_input = f"{_b64url_json(header)}.{_b64url_json(claims)}"
        r, s = decode_dss_signature(self._id_token_key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA384())))
        return f"{signing_input}.{b64url(r.to_bytes(48, 'big') + s.to_bytes(48, 'big'))}"

    def _verify_proof(self, proof: Optional[str], method: str, htu: str) -> str:
        """RFC 9449's checks; returns the key's RFC 7638 thumbprint."""

        def invalid(why: str) -> ServiceError:
            return ServiceError("ValidationException", message=f"Invalid DPoP proof: {why}")

        if not proof:
            raise invalid("the DPoP header is missing")
        parts = proof.split(".")
        if len(parts) != 3 or any("=" in part for part in parts):
            raise invalid("not a compact JWS of three unpadded base64url parts")
        try:
            header, claims, signature = (
                json.loads(b64url_decode(parts[0])),
                json.loads(b64url_decode(parts[1])),
                b64url_decode(parts[2]),
            )
        except ValueError as error:
            raise invalid(f"undecodable ({error})") from None
        if not isinstance(header, dict) or not isinstance(claims, dict):
            raise invalid("header and claims must be JSON objects")
        if header.get("typ") != "dpop+jwt" or header.get("alg") != "ES256":
            raise invalid("typ must be dpop+jwt and alg ES256")
        jwk = header.get("jwk")
        if not isinstance(jwk, dict) or jwk.get("kty") != "EC" or jwk.get("crv") != "P-256" or "d" in jwk:
            raise invalid("jwk must be a public P-256 EC key")
        try:
            x, y = b64url_decode(str(jwk.get("x", ""))), b64url_decode(str(jwk.get("y", "")))
            if len(x) != 32 or len(y) != 32:
                raise ValueError("x and y must be 32 bytes")
            public = ec.EllipticCurvePublicNumbers(
                int.from_bytes(x, "big"), int.from_bytes(y, "big"), ec.SECP256R1()
            ).public_key()
        except ValueError as error:
            raise invalid(f"bad jwk ({error})") from None
        if len(signature) != 64:
            raise invalid("the signature must be the 64-byte r||s of ES256")
        der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
        try:
            public.verify(der, f"{parts[0]}.{parts[1]}".encode(), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            raise invalid("the signature does not verify against the jwk") from None
        if claims.get("htm") != method:
            raise invalid(f"htm must be {method}")
        if claims.get("htu") != htu:
            raise invalid(f"htu must be {htu}")
        iat, now = claims.get("iat"), self.clock()
        if not isinstance(iat, int) or isinstance(iat, bool):
            raise invalid("iat must be an integer")
        if iat < now - self.dpop_max_age or iat > now + self.dpop_future_skew:
            raise invalid("iat is too old or in the future")
        jti = claims.get("jti")
        if not isinstance(jti, str) or not jti:
            raise invalid("jti is required")
        if jti in self._jtis:
            raise invalid("jti was used before")
        self._jtis.add(jti)
        return jwk_thumbprint(jwk)


def _parse_body(raw: bytes, content_type: str) -> Optional[dict[str, Any]]:
    """JSON (what botocore sends), or the form-encoded snake_case body the model's documentation also allows."""
    if content_type.startswith("application/x-www-form-urlencoded"):
        form = dict(urllib.parse.parse_qsl(raw.decode("utf-8", "replace")))
        return {re.sub(r"_([a-z])", lambda match: match.group(1).upper(), name): value for name, value in form.items()}
    try:
        parsed = json.loads(raw) if raw.strip() else None
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _decode_proof(proof: Optional[str]) -> Optional[dict[str, Any]]:
    try:
        header, claims = (json.loads(b64url_decode(part)) for part in (proof or "").split(".")[:2])
        return {"header": header, "claims": claims}
    except ValueError:
        return None


def _trusted_redirect(client_id: str, redirect_uri: str, origin: str) -> bool:
    """same-device: the CLI's own listener, http on 127.0.0.1 (or localhost) with a port; cross-device: this
    endpoint's confirmation page."""
    if client_id == CROSS_DEVICE:
        return redirect_uri == origin + CONFIRMATION_PATH
    parts = urllib.parse.urlsplit(redirect_uri)
    try:
        port = parts.port
    except ValueError:
        return False
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost") and port is not None


def _redirect(uri: str, arguments: dict[str, str]) -> _Page:
    separator = "&" if urllib.parse.urlsplit(uri).query else "?"
    location = uri + separator + urllib.parse.urlencode(arguments)
    return _Page(302, f'<html><body><a href="{location}">Continue</a></body></html>', location)


def _error_page(status: int, message: str) -> _Page:
    return _Page(status, f"<html><body><h1>Sign-in error</h1><p>{message}</p></body></html>")


# --- JOSE and PKCE helpers (the fake's and the client's) ----------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64url_json(value: Any) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def pkce_challenge(verifier: str) -> str:
    """base64url of SHA-256 of the verifier, unpadded (the CLI strips the one '=' of 44 characters)."""
    return b64url(hashlib.sha256(verifier.encode()).digest())


def jwk_thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638: SHA-256 over the required members in lexical order, no whitespace."""
    required = {name: jwk[name] for name in ("crv", "kty", "x", "y")}
    return b64url(hashlib.sha256(json.dumps(required, separators=(",", ":"), sort_keys=True).encode()).digest())


def unverified_claims(jwt: str) -> dict[str, Any]:
    claims: dict[str, Any] = json.loads(b64url_decode(jwt.split(".")[1]))
    return claims


# --- a minimal test-only client: what AWS CLI v2's `aws login` does ------------------------------------


class TokenError(Exception):
    """CreateOAuth2Token refused: the error shape (x-amzn-ErrorType), the OAuth2ErrorCode and the status."""

    def __init__(self, status: int, code: str, kind: str, message: str) -> None:
        super().__init__(f"{status} {code}/{kind}: {message}")
        self.status, self.code, self.kind, self.message = status, code, kind, message


def new_dpop_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def public_jwk(key: ec.EllipticCurvePrivateKey) -> dict[str, str]:
    numbers = key.public_key().public_numbers()
    return {
        "kty": "EC",
        "x": b64url(numbers.x.to_bytes(32, "big")),
        "y": b64url(numbers.y.to_bytes(32, "big")),
        "crv": "P-256",
    }


def dpop_proof(
    key: ec.EllipticCurvePrivateKey,
    url: str,
    *,
    clock: Callable[[], float] = time.time,
    method: str = "POST",
    jti: Optional[str] = None,
    header: Optional[dict[str, Any]] = None,
    claims: Optional[dict[str, Any]] = None,
    signing_key: Optional[ec.EllipticCurvePrivateKey] = None,
) -> str:
    """An RFC 9449 proof as botocore builds it (credentials.py, _build_dpop_header): header {typ, alg, jwk},
    claims {htm, htu, iat, jti}, compact JSON, ES256 with the raw 64-byte r||s signature, base64url unpadded.
    `header`, `claims` and `signing_key` override parts, for tests of the fake's checks."""
    jose = {"typ": "dpop+jwt", "alg": "ES256", "jwk": public_jwk(key), **(header or {})}
    body = {"htm": method, "htu": url, "iat": int(clock()), "jti": jti or str(uuid.uuid4()), **(claims or {})}
    signing_input = f"{_b64url_json(jose)}.{_b64url_json(body)}"
    der = (signing_key or key).sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    return f"{signing_input}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def new_verifier() -> str:
    """64 characters of letters, digits and -._~, as the CLI makes it."""
    return "".join(secrets.choice(string.ascii_letters + string.digits + "-._~") for _ in range(64))


def authorize_url(endpoint: str, client_id: str, redirect_uri: str, state: str, challenge: str) -> str:
    """The URL as AWS CLI v2 builds it: these parameters in this order, percent-encoded with only -._~ safe,
    and code_challenge appended last, unencoded."""
    parameters = {
        "response_type": "code",
        "client_id": client_id,
        "state": state,
        "code_challenge_method": "SHA-256",
        "scope": "openid",
        "redirect_uri": redirect_uri,
    }
    query = "&".join(f"{name}={urllib.parse.quote(value, safe='-._~')}" for name, value in parameters.items())
    return f"{endpoint.rstrip('/')}{AUTHORIZE_PATH}?{query}&code_challenge={challenge}"


def parse_paste_code(text: str) -> tuple[str, str]:
    """(code, state) from what the cross-device page shows, decoded as AWS CLI v2 does."""
    fields = dict(urllib.parse.parse_qsl(base64.b64decode(text.strip()).decode()))
    return fields["code"], fields["state"]


class CallbackListener:
    """The CLI's one-shot redirect listener (awscli/customizations/sso/utils.py AuthCodeFetcher): http on
    127.0.0.1, a free port, path /oauth/callback; it answers a page and keeps the code and state (or error)."""

    def __init__(self) -> None:
        self.query: Optional[dict[str, str]] = None
        self._done = threading.Event()
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                page = b"<html><body>You can close this window and return to your terminal.</body></html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)
                query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
                if listener.query is None and ("code" in query or "error" in query):
                    listener.query = {name: values[0] for name, values in query.items()}
                    listener._done.set()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    @property
    def redirect_uri(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/oauth/callback"

    def wait(self, timeout: float = 10) -> dict[str, str]:
        if not self._done.wait(timeout) or self.query is None:
            raise TimeoutError("the browser never reached the callback listener")
        return self.query

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> CallbackListener:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class Visit(NamedTuple):
    """What the browser saw: every URL it loaded in order, the last status and page, and the code the page
    asks the person to paste (cross-device), if any."""

    urls: list[str]
    status: int
    page: str
    paste_code: Optional[str]


def browse(url: str, timeout: float = 10) -> Visit:
    """Follow `url` as a person's browser would: load it, follow redirects (to the CLI's listener or to the
    confirmation page), and read the final page. No proxy from the environment is used."""
    urls = [url]

    class Recorder(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> Any:
            urls.append(newurl)
            return super().redirect_request(req, fp, code, msg, headers, newurl)

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), Recorder())
    try:
        with opener.open(url, timeout=timeout) as answer:
            status, page = answer.status, answer.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as refused:
        status, page = refused.code, refused.read().decode("utf-8", "replace")
    found = re.search(r'<code id="verification-code">([^<]+)</code>', page)
    return Visit(urls, status, page, found.group(1) if found else None)


def create_oauth2_token(
    endpoint: str,
    token_input: dict[str, Any],
    key: ec.EllipticCurvePrivateKey,
    *,
    clock: Callable[[], float] = time.time,
    proof: Optional[str] = None,
    timeout: float = 10,
) -> dict[str, Any]:
    """POST /v1/token with the tokenInput payload and a DPoP proof, as botocore's signin client sends it;
    returns the tokenOutput payload or raises TokenError."""
    url = endpoint.rstrip("/") + TOKEN_PATH
    request = urllib.request.Request(
        url,
        data=json.dumps(token_input).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "DPoP": proof or dpop_proof(key, url, clock=clock)},
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=timeout) as answer:
            output: dict[str, Any] = json.loads(answer.read())
            return output
    except urllib.error.HTTPError as refused:
        body = json.loads(refused.read() or b"{}")
        code = refused.headers.get("x-amzn-ErrorType", "").split(":", 1)[0]
        raise TokenError(refused.code, code, body.get("error", ""), body.get("message", "")) from None


def sec1_pem(key: ec.EllipticCurvePrivateKey) -> str:
    """The dpopKey as AWS CLI v2 writes it: SEC1 DER ("EC PRIVATE KEY"), base64 in 64-column lines, a final
    newline (cryptography's TraditionalOpenSSL PEM is the same text)."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()


def load_dpop_key(pem: str) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key


def expires_at(clock: Callable[[], float], expires_in: int) -> str:
    """As the CLI and botocore write it: UTC, whole seconds, a Z."""
    return datetime.fromtimestamp(clock() + expires_in, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Login(NamedTuple):
    session: str  # the login session: the id token's sub, what `login_session` names
    token: dict[str, Any]  # the cache file's JSON
    redirect_uri: str
    visit: Visit


def login(
    endpoint: str,
    *,
    remote: bool = False,
    clock: Callable[[], float] = time.time,
    key: Optional[ec.EllipticCurvePrivateKey] = None,
    verifier: Optional[str] = None,
) -> Login:
    """A whole `aws login` (or `aws login --remote`) against `endpoint`, the browser played by `browse`;
    returns the token as AWS CLI v2 caches it (awscli/customizations/login/utils.py)."""
    key, verifier, state = key or new_dpop_key(), verifier or new_verifier(), str(uuid.uuid4())
    client_id = CROSS_DEVICE if remote else SAME_DEVICE
    if remote:
        redirect_uri = endpoint.rstrip("/") + CONFIRMATION_PATH
        visit = browse(authorize_url(endpoint, client_id, redirect_uri, state, pkce_challenge(verifier)))
        if visit.paste_code is None:
            raise RuntimeError(f"no code to paste: {visit.status} {visit.page}")
        code, returned_state = parse_paste_code(visit.paste_code)
    else:
        with CallbackListener() as listener:
            redirect_uri = listener.redirect_uri
            visit = browse(authorize_url(endpoint, client_id, redirect_uri, state, pkce_challenge(verifier)))
            query = listener.wait()
        if "code" not in query:
            raise RuntimeError(f"sign-in refused: {query}")
        code, returned_state = query["code"], query.get("state", "")
    if returned_state != state:
        raise RuntimeError("state mismatch")
    token_input = {
        "clientId": client_id,
        "grantType": AUTH_CODE_GRANT,
        "code": code,
        "codeVerifier": verifier,
        "redirectUri": redirect_uri,
    }
    output = create_oauth2_token(endpoint, token_input, key, clock=clock)
    session = str(unverified_claims(output["idToken"])["sub"])
    token = {
        "accessToken": {
            "accessKeyId": output["accessToken"]["accessKeyId"],
            "secretAccessKey": output["accessToken"]["secretAccessKey"],
            "sessionToken": output["accessToken"]["sessionToken"],
            "accountId": session.split(":")[4],
            "expiresAt": expires_at(clock, output["expiresIn"]),
        },
        "tokenType": output["tokenType"],
        "clientId": client_id,
        "refreshToken": output["refreshToken"],
        "idToken": output["idToken"],
        "dpopKey": sec1_pem(key),
    }
    return Login(session, token, redirect_uri, visit)


def refresh(endpoint: str, token: dict[str, Any], *, clock: Callable[[], float] = time.time) -> dict[str, Any]:
    """A refresh as botocore's LoginCredentialFetcher does it: the new credentials, expiresAt and refreshToken
    over the old token, every other field kept."""
    token_input = {"clientId": token["clientId"], "refreshToken": token["refreshToken"], "grantType": REFRESH_GRANT}
    output = create_oauth2_token(endpoint, token_input, load_dpop_key(token["dpopKey"]), clock=clock)
    credentials = output["accessToken"]
    return {
        **token,
        "accessToken": {
            "accessKeyId": credentials["accessKeyId"],
            "secretAccessKey": credentials["secretAccessKey"],
            "sessionToken": credentials["sessionToken"],
            "accountId": token["accessToken"]["accountId"],
            "expiresAt": expires_at(clock, output["expiresIn"]),
        },
        "refreshToken": output["refreshToken"],
    }


def cache_file(directory: Path, session: str) -> Path:
    """<AWS_LOGIN_CACHE_DIRECTORY or ~/.aws/login/cache>/<sha256 hex of the login session ARN>.json"""
    return directory / (hashlib.sha256(session.encode()).hexdigest() + ".json")


def write_cache(directory: Path, session: str, token: dict[str, Any]) -> Path:
    """Atomically, 0600, compact JSON as json.dumps writes it (what botocore's JSONFileCache does)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = cache_file(directory, session)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(json.dumps(token))
    os.replace(temporary, path)
    return path


BROWSER_CHATTER = "Opening in existing browser session."


def _browser_main(arguments: list[str]) -> int:
    """BROWSER=“python signinfake.py”: say what real browsers say on stdout (BROWSER_CHATTER), detach
    (webbrowser waits for a BROWSER command, and the CLI's listener cannot answer until it returns), then
    follow the URL and log the visit."""
    if arguments[:1] != ["--wait"]:
        print(BROWSER_CHATTER, flush=True)
        subprocess.Popen(
            [sys.executable, __file__, "--wait", *arguments],
            start_new_session=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return 0
    visit = browse(arguments[1])
    log = os.environ.get("SIGNINFAKE_BROWSER_LOG")
    if log:
        with open(log, "a") as file:
            file.write(json.dumps(visit._asdict()) + "\n")
    return 0 if visit.status < 400 else 1


def iter_visits(log: Path) -> Iterator[Visit]:
    """The visits a detached browser logged."""
    if log.exists():
        for line in log.read_text().splitlines():
            yield Visit(**json.loads(line))


if __name__ == "__main__":
    sys.exit(_browser_main(sys.argv[1:]))
