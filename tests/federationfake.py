"""A fake of the AWS federation endpoint (console sign-in), and a recording stand-in for a browser.

The real endpoint is `https://signin.aws.amazon.com/federation` (IAM User Guide, "Enable custom identity broker
access to the AWS console"). One HTTP server on 127.0.0.1 answers its two actions on the path `/federation`, so a
client pointed at it (stscreds reads `AWS_ENDPOINT_URL_SIGNIN` and appends `/federation`) talks to it as to AWS:

* `Action=getSigninToken&Session=<JSON>[&SessionDuration=N]`, by GET (query) or POST (form body, as some brokers
  send it). `Session` is `{"sessionId", "sessionKey", "sessionToken"}`: the access key ID, secret key and session
  token. Answer: 200, `{"SigninToken": "..."}`, a new token each time.
* `Action=login&Issuer=...&Destination=...&SigninToken=...`: what the browser opens. Answer: 302 to Destination.

Only credentials a test told the fake about are accepted, each with the STS operation that made them: `allow()`,
`allow_response()` (a boto3 answer), `trust_sso()` (every set an `SsoFake` issued), `trust_moto()` (every role
session moto issued) or `trust()` (any lookup). The rules, from the AWS documentation and what users report:

* unknown credentials, a wrong secret or token, or credentials past their expiry: 400, "Invalid credentials
  parameter" (the page the AWS Knowledge Center article "invalid-credentials-parameter" shows);
* `SessionDuration` must be 900 to 43200 (docs); it is refused, with that same 400, for credentials from
  GetFederationToken (docs: "Do not use the SessionDuration HTTP parameter if you got the temporary credentials
  with GetFederationToken") and for role credentials obtained with temporary credentials, `chained=True` (the
  Knowledge Center article; aws-vault #77: GetSessionToken, then AssumeRole, then SessionDuration gives it too).
  Without it the console session lasts as long as the credentials (docs);
* credentials from GetSessionToken, or long-term keys, cannot sign in to the console (IAM User Guide, "Compare
  AWS STS credentials": "SSO to console is not allowed"). Users see "Only federation tokens or assume role tokens
  may be used for federated login. Please contact your administrator." in the browser (aws-vault #1191), i.e. at
  the login step, after getSigninToken answered a token: that is the default here (`unfederatable_at = "login"`);
  `unfederatable_at = "token"` refuses them at getSigninToken instead, with the 400 above;
* a sign-in token is valid for 15 minutes from its creation (docs: "The URL is valid for 15 minutes"); the docs do
  not say it is single-use, so it is not unless `single_use_tokens`; a login with an unknown, expired or used token
  gets a 400 page;
* Destination must be an AWS console URL (`is_console_url`: https, host `console.aws.amazon.com`,
  `console.amazonaws-us-gov.com`, `console.amazonaws.cn` or a `<region>.` subdomain of one), unless
  `allowed_destination` says otherwise; Issuer is optional (granted sends it empty) unless `require_issuer`.

Where AWS's exact answer is not documented (the body of a 400 other than the credentials one, the login step's
error pages, the answer to a missing or malformed parameter) the fake answers 400 with an HTML page in the same
style; tests should look at the status and at `calls[-1].error`, the fake's own reason code, not at those bodies.
Errors are `text/html`, as the real endpoint's pages; a token is `application/json`.

Every control is a plain attribute set in `reset()`; `clock` is settable (token and credential expiry follow it),
`fail_next()` answers the next calls with any status and body (a 503, a captive portal), `latency` slows every
answer. Every request is recorded in `calls`, every issued token in `tokens`, every login in `visits`.

`write_recording_browser()` makes an executable a test points BROWSER at: it appends each URL it is asked to open
to a file, prints what real browsers print on stdout ("Opening in existing browser session."), so a test can prove
none of it reaches stscreds' stdout, and can follow the URL itself, for loopback addresses only and never past a
redirect (the fake's 302 points at the real console, which a test must not reach).

Not faked: the console itself and its cookies, Issuer redirects on sign-out, regional hosts (any host reaches the
same state), the `oauth?Action=logout` URL, SAML sign-in (`/saml`), and GetFederationToken policies.
"""

from __future__ import annotations

import hmac
import html
import itertools
import json
import secrets
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, NamedTuple, Optional
from urllib.parse import parse_qs, urlencode, urlsplit

from localserver import LocalServer

TOKEN_TTL = 15 * 60  # docs: the sign-in URL is valid for 15 minutes
SESSION_DURATION_RANGE = (900, 43200)  # docs: 15 minutes to 12 hours

ASSUME_ROLE = "AssumeRole"
ASSUME_ROLE_WITH_SAML = "AssumeRoleWithSAML"
ASSUME_ROLE_WITH_WEB_IDENTITY = "AssumeRoleWithWebIdentity"
SSO_ROLE = "GetRoleCredentials"  # IAM Identity Center's role credentials (sso:GetRoleCredentials)
GET_FEDERATION_TOKEN = "GetFederationToken"
GET_SESSION_TOKEN = "GetSessionToken"
LONG_TERM = "LongTerm"  # an IAM user's access key pair, no session token
KINDS = frozenset(
    {ASSUME_ROLE, ASSUME_ROLE_WITH_SAML, ASSUME_ROLE_WITH_WEB_IDENTITY, SSO_ROLE, GET_FEDERATION_TOKEN}
    | {GET_SESSION_TOKEN, LONG_TERM}
)
ROLE_KINDS = frozenset({ASSUME_ROLE, ASSUME_ROLE_WITH_SAML, ASSUME_ROLE_WITH_WEB_IDENTITY, SSO_ROLE})
FEDERATABLE = ROLE_KINDS | {GET_FEDERATION_TOKEN}

# The console hosts of the three public partitions; Destination must be on one (or a <region>. subdomain).
CONSOLE_DOMAINS = ("console.aws.amazon.com", "console.amazonaws-us-gov.com", "console.amazonaws.cn")

INVALID_CREDENTIALS = "Invalid credentials parameter"  # the documented message (Knowledge Center)
NOT_FEDERATABLE = (
    "Only federation tokens or assume role tokens may be used for federated login. Please contact your administrator."
)
# The fake's reason codes (Call.error, Visit.error) and the message each error page carries.
MESSAGES: dict[str, str] = {
    "unknown-credentials": INVALID_CREDENTIALS,
    "expired-credentials": INVALID_CREDENTIALS,
    "session-duration-refused": INVALID_CREDENTIALS,
    "not-federatable": NOT_FEDERATABLE,
    "session-duration-range": "Invalid SessionDuration parameter",
    "malformed-session": "Invalid Session parameter",
    "missing-parameter": "Missing required parameter",
    "unknown-action": "Invalid Action parameter",
    "token-unknown": "Invalid SigninToken parameter",
    "token-expired": "The sign-in token has expired",
    "token-used": "The sign-in token has already been used",
    "destination-refused": "Invalid Destination parameter",
    "issuer-missing": "Missing Issuer parameter",
    "not-found": "Not Found",
}


@dataclass(frozen=True)
class Credentials:
    """A set of credentials the fake knows, and how they were made."""

    access_key_id: str
    secret_access_key: str
    session_token: Optional[str]
    kind: str = ASSUME_ROLE
    chained: bool = False  # a role session obtained with temporary credentials: SessionDuration is refused
    expires_at: Optional[float] = None  # epoch seconds; None: never checked
    label: str = ""  # free text for a test (a role ARN, "111111111111/ReadOnlyAccess")

    def session(self) -> dict[str, str]:
        """The Session JSON's members for these credentials, as brokers send them."""
        return {
            "sessionId": self.access_key_id,
            "sessionKey": self.secret_access_key,
            "sessionToken": self.session_token or "",
        }


class Call(NamedTuple):
    """One request as the fake received it, and how it answered."""

    action: str  # getSigninToken | login | "" (none given) | whatever was given
    method: str
    path: str
    params: dict[str, str]  # query and form body together (the body wins)
    session: Optional[dict[str, Any]]  # the parsed Session JSON, when there was a valid one
    status: int
    error: Optional[str]  # the fake's reason code (see MESSAGES), "injected" for fail_next, None when it answered


@dataclass
class Token:
    token: str
    credentials: Credentials
    issued_at: float
    session_duration: Optional[int]
    federatable: bool
    uses: int = 0


class Visit(NamedTuple):
    """One Action=login request: what a browser opened."""

    token: str
    destination: Optional[str]
    issuer: Optional[str]
    status: int
    error: Optional[str]
    credentials: Optional[Credentials]
    console_expires_at: Optional[float]  # when the console session would end: SessionDuration, else the credentials


@dataclass
class _Injected:
    status: int
    body: bytes
    content_type: str
    times: int


def is_console_url(url: str) -> bool:
    """True for an https URL on an AWS console host of the aws, aws-us-gov or aws-cn partition."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return parts.scheme == "https" and any(host == d or host.endswith("." + d) for d in CONSOLE_DOMAINS)


class FederationFake(LocalServer):
    """The fake. Every attribute set in `reset()` is a control a test may change at any time."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self.reset()

    def reset(self) -> None:
        """Back to the defaults, knowing no credentials, tokens or calls (the server keeps running)."""
        with self._lock:
            self.clock: Callable[[], float] = time.time
            self.token_ttl = TOKEN_TTL
            self.single_use_tokens = False
            self.unfederatable_at = "login"  # "login": token given, login refused | "token": getSigninToken refused
            self.allowed_destination: Callable[[str], bool] = is_console_url
            self.require_issuer = False
            self.latency = 0.0
            self.calls: list[Call] = []
            self.tokens: list[Token] = []
            self.visits: list[Visit] = []
            self._known: dict[str, Credentials] = {}
            self._lookups: list[Callable[[str], Optional[Credentials]]] = []
            self._failures: dict[str, list[_Injected]] = {}

    # --- lifecycle -------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The sign-in host, for AWS_ENDPOINT_URL_SIGNIN."""
        return super().url

    @property
    def federation_url(self) -> str:
        return self.url + "/federation"

    # --- what the fake knows ---------------------------------------------------------------------------

    def allow(
        self,
        access_key_id: str,
        secret_access_key: str,
        session_token: Optional[str],
        *,
        kind: str = ASSUME_ROLE,
        chained: bool = False,
        expires_at: Optional[float] = None,
        label: str = "",
    ) -> Credentials:
        """Know these credentials as made by STS operation `kind` (see KINDS). GetSessionToken and LongTerm
        credentials are known in order to be refused as the real endpoint refuses them."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {sorted(KINDS)}")
        credentials = Credentials(access_key_id, secret_access_key, session_token, kind, chained, expires_at, label)
        with self._lock:
            self._known[access_key_id] = credentials
        return credentials

    def allow_response(
        self, answer: dict[str, Any], *, kind: str = ASSUME_ROLE, chained: bool = False, label: str = ""
    ) -> Credentials:
        """Know the credentials in a boto3 answer (AssumeRole, GetFederationToken, GetSessionToken...), or in its
        "Credentials" member, with their Expiration."""
        given = answer.get("Credentials", answer)
        expiration = given.get("Expiration")
        expires_at = expiration.timestamp() if hasattr(expiration, "timestamp") else None
        label = label or str(answer.get("AssumedRoleUser", {}).get("Arn", ""))
        return self.allow(
            given["AccessKeyId"],
            given["SecretAccessKey"],
            given.get("SessionToken"),
            kind=kind,
            chained=chained,
            expires_at=expires_at,
            label=label,
        )

    def trust(self, lookup: Callable[[str], Optional[Credentials]]) -> None:
        """Also ask `lookup(access_key_id)` about credentials not registered with `allow` (checked at request time,
        so credentials minted after this call count)."""
        with self._lock:
            self._lookups.append(lookup)

    def trust_sso(self, sso_fake: Any) -> None:
        """Accept every set of role credentials a tests/ssofake.SsoFake issued (sso:GetRoleCredentials), until their
        expiration."""

        def lookup(access_key_id: str) -> Optional[Credentials]:
            for issued in list(sso_fake.issued_credentials):
                if issued["accessKeyId"] == access_key_id:
                    return Credentials(
                        access_key_id,
                        issued["secretAccessKey"],
                        issued["sessionToken"],
                        SSO_ROLE,
                        False,
                        issued["expiration"] / 1000,
                        f"{issued['accountId']}/{issued['roleName']}",
                    )
            return None

        self.trust(lookup)

    def trust_moto(self, moto_url: str, *, chained: bool = True) -> None:
        """Accept every role session moto issued (its /moto-api/data.json lists them, without their expiry).
        `chained` defaults to True because stscreds assumes roles with its MFA session's credentials, which makes
        the real endpoint refuse SessionDuration; pass False for roles assumed with long-term keys."""

        def lookup(access_key_id: str) -> Optional[Credentials]:
            with urllib.request.urlopen(moto_url.rstrip("/") + "/moto-api/data.json", timeout=10) as answer:
                state = json.load(answer)
            for role in state.get("sts", {}).get("AssumedRole", []):
                if role.get("access_key_id") == access_key_id:
                    return Credentials(
                        access_key_id,
                        role["secret_access_key"],
                        role["session_token"],
                        ASSUME_ROLE,
                        chained,
                        None,
                        str(role.get("arn", "")),
                    )
            return None

        self.trust(lookup)

    def fail_next(
        self, action: str, status: int, body: bytes = b"", *, times: int = 1, content_type: str = "text/html"
    ) -> None:
        """Answer the next `times` requests of `action` ("getSigninToken", "login" or "*") with this status and body."""
        with self._lock:
            self._failures.setdefault(action, []).append(_Injected(status, body, content_type, times))

    # --- helpers for tests -----------------------------------------------------------------------------

    def calls_to(self, action: str) -> list[Call]:
        with self._lock:
            return [call for call in self.calls if call.action == action]

    def login_url(self, token: str, destination: str = "https://console.aws.amazon.com/", issuer: str = "") -> str:
        """The login URL as brokers build it (aws-vault's parameter order)."""
        query = urlencode({"Action": "login", "Issuer": issuer, "Destination": destination, "SigninToken": token})
        return f"{self.federation_url}?{query}"

    def expire_tokens(self) -> None:
        """Make every token issued so far too old to use."""
        with self._lock:
            for token in self.tokens:
                token.issued_at = min(token.issued_at, self.clock() - self.token_ttl)

    # --- HTTP ------------------------------------------------------------------------------------------

    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        split = urlsplit(request.path)
        params = {name: values[0] for name, values in parse_qs(split.query, keep_blank_values=True).items()}
        raw = request.rfile.read(int(request.headers.get("Content-Length") or 0))
        if raw and "x-www-form-urlencoded" in (request.headers.get("Content-Type") or ""):
            form = parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)
            params.update({name: values[0] for name, values in form.items()})
        action = params.get("Action", "") if split.path == "/federation" else ""
        if self.latency:
            time.sleep(self.latency)
        with self._lock:
            answer = self._answer(split.path, action, params)
            self.calls.append(
                Call(action, request.command, split.path, params, answer.session, answer.status, answer.error)
            )
        headers = {
            **(answer.headers or {}),
            "Content-Type": answer.content_type,
            "Content-Length": str(len(answer.body)),
            "Cache-Control": "no-store",
            "x-amzn-RequestId": f"00000000-0000-4000-8000-{next(self._ids):012d}",
        }
        request.send_response(answer.status)
        for name, value in headers.items():
            request.send_header(name, value)
        request.end_headers()
        request.wfile.write(answer.body)

    def _answer(self, path: str, action: str, params: dict[str, str]) -> _Answer:
        injected = self._take_failure(action)
        if injected is not None:
            return _Answer(injected.status, injected.content_type, injected.body, error="injected")
        if path != "/federation":
            return _refusal("not-found", 404)
        if action == "getSigninToken":
            return self._get_signin_token(params)
        if action == "login":
            return self._login(params)
        return _refusal("missing-parameter" if not action else "unknown-action")

    def _take_failure(self, action: str) -> Optional[_Injected]:
        for name in (action, "*"):
            queue = self._failures.get(name)
            if queue:
                injected = queue[0]
                injected.times -= 1
                if injected.times <= 0:
                    queue.pop(0)
                return injected
        return None

    def _lookup(self, access_key_id: str) -> Optional[Credentials]:
        if access_key_id in self._known:
            return self._known[access_key_id]
        for lookup in self._lookups:
            found = lookup(access_key_id)
            if found is not None:
                return found
        return None

    def _get_signin_token(self, params: dict[str, str]) -> _Answer:
        if "Session" not in params:
            return _refusal("missing-parameter")
        try:
            session = json.loads(params["Session"])
        except ValueError:
            return _refusal("malformed-session")
        members_ok = isinstance(session, dict) and all(
            isinstance(session.get(name, ""), str) for name in ("sessionId", "sessionKey", "sessionToken")
        )
        if not members_ok or not session.get("sessionId") or not session.get("sessionKey"):
            return _refusal("malformed-session")
        duration: Optional[int] = None
        if "SessionDuration" in params:
            low, high = SESSION_DURATION_RANGE
            given = params["SessionDuration"]
            if not (given.isascii() and given.isdigit()) or not low <= int(given) <= high:
                return _refusal("session-duration-range", session=session)
            duration = int(given)
        found = self._lookup(session["sessionId"])
        if (
            found is None
            or not _same(found.secret_access_key, session["sessionKey"])
            or not _same(found.session_token or "", session.get("sessionToken") or "")
        ):
            return _refusal("unknown-credentials", session=session)
        if found.expires_at is not None and self.clock() >= found.expires_at:
            return _refusal("expired-credentials", session=session)
        federatable = found.kind in FEDERATABLE
        if not federatable and self.unfederatable_at == "token":
            return _refusal("not-federatable", session=session)
        if duration is not None and (found.kind not in ROLE_KINDS or found.chained):
            return _refusal("session-duration-refused", session=session)
        value = secrets.token_urlsafe(384)
        self.tokens.append(Token(value, found, self.clock(), duration, federatable))
        body = json.dumps({"SigninToken": value}, separators=(",", ":")).encode()
        return _Answer(200, "application/json", body, session=session)

    def _login(self, params: dict[str, str]) -> _Answer:
        value, destination, issuer = params.get("SigninToken", ""), params.get("Destination"), params.get("Issuer")
        token = next((t for t in self.tokens if _same(t.token, value)), None) if value else None
        now = self.clock()
        error: Optional[str] = None
        if not value or destination is None:
            error = "missing-parameter"
        elif token is None:
            error = "token-unknown"
        elif now >= token.issued_at + self.token_ttl:
            error = "token-expired"
        elif self.single_use_tokens and token.uses:
            error = "token-used"
        elif not self.allowed_destination(destination):
            error = "destination-refused"
        elif self.require_issuer and not issuer:
            error = "issuer-missing"
        elif not token.federatable:
            error = "not-federatable"
        ends: Optional[float] = None
        if token is not None and error is None:
            token.uses += 1
            ends = now + token.session_duration if token.session_duration else token.credentials.expires_at
        status = 302 if error is None else 400
        credentials = token.credentials if token is not None else None
        self.visits.append(Visit(value, destination, issuer, status, error, credentials, ends))
        if error is not None:
            return _refusal(error)
        return _Answer(302, "text/html", b"", headers={"Location": str(destination)})


class _Answer(NamedTuple):
    status: int
    content_type: str
    body: bytes
    headers: Optional[dict[str, str]] = None
    error: Optional[str] = None
    session: Optional[dict[str, Any]] = None


def _same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode("utf-8", "surrogatepass"), given.encode("utf-8", "surrogatepass"))


def _refusal(reason: str, status: int = 400, session: Optional[dict[str, Any]] = None) -> _Answer:
    """An error page in the style of the real endpoint's (a servlet container's status report)."""
    message = html.escape(MESSAGES.get(reason, reason))
    title = {400: "Bad Request", 404: "Not Found"}.get(status, "Error")
    body = (
        f'<!doctype html><html lang="en"><head><title>HTTP Status {status} - {title}</title></head><body>'
        f"<h1>HTTP Status {status} - {message}</h1><hr><p><b>type</b> Status report</p>"
        f"<p><b>message</b> {message}</p>"
        "<p><b>description</b> The request sent by the client was syntactically incorrect.</p></body></html>"
    )
    return _Answer(status, "text/html;charset=utf-8", body.encode(), error=reason, session=session)


# --- the recording browser --------------------------------------------------------------------------------

CHATTER = "Opening in existing browser session."

_BROWSER_SCRIPT = """#!{python}
# A stand-in for a web browser, written by tests/federationfake.py for one test. Not a real browser.
import fcntl, json, sys, urllib.error, urllib.parse, urllib.request

CONFIG = {config!r}


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def append(path, line):
    with open(path, "a", encoding="utf-8") as log:
        fcntl.flock(log, fcntl.LOCK_EX)
        log.write(line + "\\n")


for url in sys.argv[1:]:
    append(CONFIG["log"], url)
    if CONFIG["follow"]:
        host = urllib.parse.urlsplit(url).hostname or ""
        record = {{"url": url, "status": None, "location": None, "error": None}}
        if host not in ("127.0.0.1", "localhost", "::1"):
            record["error"] = "not followed: not a loopback address"
        else:
            try:
                with urllib.request.build_opener(NoRedirect).open(url, timeout=30) as answer:
                    record["status"] = answer.status
            except urllib.error.HTTPError as answer:
                record["status"], record["location"] = answer.code, answer.headers.get("Location")
            except OSError as failure:
                record["error"] = repr(failure)
        append(CONFIG["follow_log"], json.dumps(record))
if CONFIG["stdout"]:
    print(CONFIG["stdout"], flush=True)
if CONFIG["stderr"]:
    print(CONFIG["stderr"], file=sys.stderr, flush=True)
sys.exit(CONFIG["exit_code"])
"""


@dataclass(frozen=True)
class RecordingBrowser:
    path: Path  # the executable: BROWSER=str(path)
    log: Path  # one URL a line, in the order asked
    follow_log: Path  # one JSON object a line when following: url, status, location, error
    chatter: Optional[str] = field(default=CHATTER)

    def urls(self) -> list[str]:
        return self.log.read_text(encoding="utf-8").splitlines() if self.log.exists() else []

    def follows(self) -> list[dict[str, Any]]:
        if not self.follow_log.exists():
            return []
        return [json.loads(line) for line in self.follow_log.read_text(encoding="utf-8").splitlines()]

    def env(self) -> dict[str, str]:
        return {"BROWSER": str(self.path)}


def write_recording_browser(
    directory: Path,
    *,
    name: str = "recording-browser",
    follow: bool = False,
    stdout: Optional[str] = CHATTER,
    stderr: Optional[str] = None,
    exit_code: int = 0,
) -> RecordingBrowser:
    """Write an executable that records the URLs it is asked to open (one argument each, as Python's webbrowser
    and xdg-open style launchers pass them), prints `stdout` and `stderr` as real browsers chatter, optionally GETs
    each loopback URL without following redirects, and exits with `exit_code` (webbrowser.open returns False for a
    non-zero one). `name` must not be a browser webbrowser knows (firefox, chrome...), or it would use that class."""
    directory.mkdir(parents=True, exist_ok=True)
    log, follow_log, path = directory / f"{name}.log", directory / f"{name}.follow.jsonl", directory / name
    config = {
        "log": str(log),
        "follow_log": str(follow_log),
        "follow": follow,
        "stdout": stdout,
        "stderr": stderr,
        "exit_code": exit_code,
    }
    path.write_text(_BROWSER_SCRIPT.format(python=sys.executable, config=config), encoding="utf-8")
    path.chmod(0o755)
    return RecordingBrowser(path, log, follow_log, stdout)
