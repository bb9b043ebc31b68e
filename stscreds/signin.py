"""AWS Sign-In for developer tools (AWS CLI v2's `aws login`): sign in through the browser with
your console credentials, keep the token, refresh it. No access key at all.

The flow is OAuth 2.0's authorization code grant with PKCE, for the two public clients AWS CLI
v2 uses: `arn:aws:signin:::devtools/same-device` (the browser comes back to a one-shot listener on
127.0.0.1) and `…/cross-device` (`--remote`: the browser shows a code to paste). The authorize
page is `/v1/authorize` on the endpoint botocore resolves for its `signin` client, so
`AWS_ENDPOINT_URL_SIGNIN` (or a profile's endpoint settings) moves it with the token endpoint.
The token exchange and every refresh are signin:CreateOAuth2Token (botocore's `signin` model,
unsigned) with a DPoP proof (RFC 9449: ES256 over a P-256 key made for this login) as botocore
builds it; the refresh token is bound to that key.

The token lives where AWS CLI v2 and botocore keep theirs (`~/.aws/login/cache/`, or
`AWS_LOGIN_CACHE_DIRECTORY`), named after the sha256 of the login session's ARN, in their JSON:
one login serves AWS CLI v2, boto3 (with botocore[crt]) and stscreds, in both directions, and a
refresh keeps every field it does not change.

The proof needs an elliptic-curve implementation: `cryptography` (an optional extra, see
README), imported only here and only when a proof is made or a key read.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import string
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from stscreds import atomic, paths
from stscreds.credentials import Credentials, format_timestamp, parse_expiration
from stscreds.errors import AwsError, StscredsError

SAME_DEVICE = "arn:aws:signin:::devtools/same-device"
CROSS_DEVICE = "arn:aws:signin:::devtools/cross-device"
AUTHORIZE_PATH = "/v1/authorize"
CONFIRMATION_PATH = "/v1/sessions/confirmation"
CALLBACK_PATH = "/oauth/callback"
# botocore (LoginCredentialFetcher) refreshes a login's credentials once they end within 5
# minutes, and uses what the cache holds until then; so does stscreds.
REFRESH_SECONDS = 5 * 60
# How long the browser sign-in may take, as for AWS CLI v2.
SIGN_IN_WAIT_SECONDS = 600
POLICY = "SignInLocalDevelopmentAccess"
CRYPTOGRAPHY_INSTALL = (
    "pipx inject stscreds cryptography, uv tool install --with cryptography ., or pip install 'stscreds[login]'"
)
# botocore knows the `signin` service (and reads login_session) from 1.41.
MIN_BOTOCORE = (1, 41)
_VERIFIER_ALPHABET = string.ascii_letters + string.digits + "-._~"


class LoginError(AwsError):
    """AWS Sign-In refused, or a sign-in did not finish."""


class LoginExpiredError(LoginError):
    """The login can no longer be refreshed (TOKEN_EXPIRED, USER_CREDENTIALS_CHANGED, a refresh
    token AWS no longer takes): only signing in again helps."""


# --- the token cache (AWS CLI v2's and botocore's) ------------------------------------------


def token_file(session: str) -> str:
    """`<cache>/<sha256 of the login session ARN>.json`, as botocore names it."""
    return os.path.join(paths.login_cache_dir(), hashlib.sha256(session.encode("utf-8")).hexdigest() + ".json")


def load_token(session: str) -> dict[str, Any] | None:
    """The cached token of `session`; None when there is none, or it does not parse (botocore
    too reads a broken entry as none)."""
    try:
        with open(token_file(session), encoding="utf-8") as stream:
            token = json.load(stream)
    except (OSError, ValueError):
        return None
    return token if isinstance(token, dict) else None


def token_credentials(token: dict[str, Any]) -> Credentials | None:
    """The credentials a cached token holds, or None when they are not all there."""
    access = token.get("accessToken")
    if not isinstance(access, dict):
        return None
    values = [access.get(key) for key in ("accessKeyId", "secretAccessKey", "sessionToken", "expiresAt")]
    if not all(isinstance(value, str) and value for value in values):
        return None
    end = parse_expiration(values[3])  # type: ignore[arg-type]
    if end is None:
        return None
    return Credentials(values[0], values[1], values[2], end)  # type: ignore[arg-type]


def refreshable(token: dict[str, Any]) -> bool:
    """Whether the token has what a refresh needs (botocore's required fields)."""
    return all(isinstance(token.get(key), str) and token[key] for key in ("refreshToken", "dpopKey", "clientId"))


def check_token_writable(session: str) -> None:
    atomic.check_writable(token_file(session), "login token cache")


def save_token(session: str, token: dict[str, Any]) -> str:
    """Write the token as botocore writes it (json.dumps, one line): atomically, 0600."""
    path = token_file(session)
    atomic.make_folders(os.path.dirname(path) or os.curdir)
    atomic.write_file(path, json.dumps(token).encode("utf-8"))
    return path


def remove_token(session: str) -> bool:
    """Remove the cached token of `session`; True when there was one."""
    return atomic.remove_file(token_file(session))


def account_of(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 else ""


def looks_like_session(text: str) -> bool:
    """An ARN, as `login_session` holds (an IAM user's, a root user's, an assumed role's)."""
    parts = text.split(":", 5)
    return len(parts) == 6 and parts[0] == "arn" and parts[2] in ("iam", "sts") and bool(parts[5])


# --- the DPoP key and proof ------------------------------------------------------------------


def _crypto() -> Any:
    """cryptography's modules, or one line naming how to install it."""
    try:
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec, utils
    except ImportError:
        raise StscredsError(
            f"AWS Sign-In logins need the cryptography package (for their ES256 proofs): {CRYPTOGRAPHY_INSTALL}"
        ) from None

    class Crypto:
        pass

    found = Crypto()
    found.hashes, found.serialization, found.ec, found.utils = hashes, serialization, ec, utils  # type: ignore[attr-defined]
    return found


def check_crypto() -> None:
    """Fail now, in one line, when proofs cannot be made."""
    _crypto()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_json(value: dict[str, Any]) -> str:
    return _b64url(json.dumps(value, separators=(",", ":")).encode("utf-8"))


class DpopKey:
    """The P-256 key one login's tokens are bound to."""

    def __init__(self, key: Any) -> None:
        self._key = key

    @classmethod
    def new(cls) -> DpopKey:
        crypto = _crypto()
        return cls(crypto.ec.generate_private_key(crypto.ec.SECP256R1()))

    @classmethod
    def from_pem(cls, pem: str) -> DpopKey:
        """The key as a token holds it: botocore strips the PEM lines and reads the DER, SEC1
        (`EC PRIVATE KEY`, what AWS CLI v2 writes) or PKCS8 (`PRIVATE KEY`)."""
        crypto = _crypto()
        body = "".join(line for line in pem.splitlines() if not line.startswith("-----")).strip()
        try:
            key = crypto.serialization.load_der_private_key(base64.b64decode(body), password=None)
        except (ValueError, TypeError):
            key = None
        if not isinstance(key, crypto.ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
            raise LoginExpiredError("the cached login's dpopKey is not a P-256 private key")
        return cls(key)

    def pem(self) -> str:
        """SEC1 PEM in 64-column lines with a final newline, byte for byte what AWS CLI v2 writes."""
        crypto = _crypto()
        text: bytes = self._key.private_bytes(
            crypto.serialization.Encoding.PEM,
            crypto.serialization.PrivateFormat.TraditionalOpenSSL,
            crypto.serialization.NoEncryption(),
        )
        return text.decode("ascii")

    def proof(self, url: str, now: float) -> str:
        """The DPoP header for a POST to `url` (its query and fragment left out), as botocore
        builds it: {typ, alg, jwk} and {htm, htu, iat, jti}, compact JSON, ES256 as raw r||s."""
        crypto = _crypto()
        numbers = self._key.public_key().public_numbers()
        header = {
            "typ": "dpop+jwt",
            "alg": "ES256",
            "jwk": {
                "kty": "EC",
                "x": _b64url(numbers.x.to_bytes(32, "big")),
                "y": _b64url(numbers.y.to_bytes(32, "big")),
                "crv": "P-256",
            },
        }
        parts = urllib.parse.urlsplit(url)
        claims = {
            "htm": "POST",
            "htu": urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")),
            "iat": int(now),
            "jti": str(uuid.uuid4()),
        }
        signing_input = f"{_b64url_json(header)}.{_b64url_json(claims)}"
        der = self._key.sign(signing_input.encode("ascii"), crypto.ec.ECDSA(crypto.hashes.SHA256()))
        r, s = crypto.utils.decode_dss_signature(der)
        return f"{signing_input}.{_b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


# --- calls -----------------------------------------------------------------------------------


def check_botocore() -> None:
    import botocore

    version = tuple(int(part) for part in botocore.__version__.split(".")[:2] if part.isdigit())
    if version < MIN_BOTOCORE:
        raise StscredsError(
            f"AWS Sign-In needs botocore 1.41 or later, which knows its `signin` service; this is "
            f"{botocore.__version__}: upgrade boto3 and botocore where stscreds is installed"
        )


def _client(profile: str, region: str | None) -> Any:
    """An unsigned `signin` client, made as every client of stscreds is (aws.make_client): the
    profile's endpoint settings and AWS_ENDPOINT_URL_SIGNIN apply. botocore makes none without
    a region: `region`, else the profile's, else us-east-1."""
    from stscreds.aws import make_client

    check_botocore()
    return make_client("signin", profile=profile, region=region)


class _Found(Exception):
    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


def endpoint(client: Any) -> str:
    """scheme://host of the endpoint botocore resolves for the client's CreateOAuth2Token (AWS
    CLI v2's get_base_sign_in_uri: it stops a call where its URL is known)."""
    from stscreds.aws import calling

    def stop(params: dict[str, Any], **kwargs: Any) -> None:
        raise _Found(str(params["url"]))

    client.meta.events.register_first("before-call.signin.CreateOAuth2Token", stop)
    try:
        with calling("resolving the AWS Sign-In endpoint", client, error_class=LoginError, service="AWS Sign-In"):
            client.create_o_auth2_token(tokenInput={"clientId": SAME_DEVICE, "grantType": "authorization_code"})
    except _Found as found:
        parts = urllib.parse.urlsplit(found.url)
        return f"{parts.scheme}://{parts.netloc}"
    finally:
        client.meta.events.unregister("before-call.signin.CreateOAuth2Token", stop)
    raise LoginError("botocore resolved no endpoint for AWS Sign-In")


def _refusal(kind: str) -> LoginError | None:
    """What an AccessDeniedException's `error` kind means to the person, or None for a kind
    with nothing to add (the one error translator, aws.calling, words it then)."""
    if kind == "TOKEN_EXPIRED":
        error: LoginError = LoginExpiredError("its console session has ended (TOKEN_EXPIRED)")
    elif kind == "USER_CREDENTIALS_CHANGED":
        error = LoginExpiredError("your password or credentials changed since you signed in (USER_CREDENTIALS_CHANGED)")
    elif kind == "INSUFFICIENT_PERMISSIONS":
        error = LoginError(
            "AWS Sign-In refused the login: you may not use signin:CreateOAuth2Token (INSUFFICIENT_PERMISSIONS); "
            f"attach the AWS managed policy {POLICY} to your IAM user or its group"
        )
    elif kind == "AUTHCODE_EXPIRED":
        error = LoginError("the sign-in took too long and its code expired (AUTHCODE_EXPIRED): sign in again, sooner")
    else:
        return None
    error.code = kind
    return error


def create_token(client: Any, key: DpopKey, token_input: dict[str, str], clock: Callable[[], float]) -> dict[str, Any]:
    """signin:CreateOAuth2Token with a new DPoP proof on each attempt (a retried request must
    not reuse a jti); its tokenOutput, checked."""
    import botocore.exceptions

    from stscreds.aws import calling

    def add_proof(request: Any, **kwargs: Any) -> None:
        request.headers["DPoP"] = key.proof(str(request.url), clock())

    client.meta.events.register("request-created.signin.CreateOAuth2Token", add_proof)
    grant = token_input.get("grantType", "")
    with calling("signin:CreateOAuth2Token", client, error_class=LoginError, service="AWS Sign-In"):
        try:
            answer = client.create_o_auth2_token(tokenInput=token_input)
        except botocore.exceptions.ClientError as error:
            kind = str(error.response.get("error") or "")
            code = error.response.get("Error", {}).get("Code", "")
            refusal = _refusal(kind)
            if refusal is not None:
                raise refusal from None
            if grant == "refresh_token" and code == "ValidationException":
                expired = LoginExpiredError(f"AWS Sign-In no longer takes its refresh token ({code}/{kind or '?'})")
                expired.code = kind or code
                raise expired from None
            raise
        output = answer["tokenOutput"]
        access = output["accessToken"]
        fields = [access["accessKeyId"], access["secretAccessKey"], access["sessionToken"], output["refreshToken"]]
        if not all(isinstance(value, str) and value for value in fields) or not isinstance(output["expiresIn"], int):
            raise KeyError("tokenOutput")
        if grant == "authorization_code" and not isinstance(output.get("idToken"), str):
            raise KeyError("idToken")
        return dict(output)


def _session_of(id_token: str) -> str:
    """The login session: the id token's `sub` (read without checking its signature, as AWS
    CLI v2 does: it came straight from AWS over TLS)."""
    try:
        payload = id_token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        session = claims["sub"]
    except (IndexError, ValueError, KeyError, TypeError):
        raise LoginError("AWS Sign-In's id token names no login session") from None
    if not isinstance(session, str) or not looks_like_session(session):
        raise LoginError("AWS Sign-In's id token names no login session")
    return session


def _access_token(output: dict[str, Any], account_id: str, now: float) -> dict[str, str]:
    access = output["accessToken"]
    return {
        "accessKeyId": access["accessKeyId"],
        "secretAccessKey": access["secretAccessKey"],
        "sessionToken": access["sessionToken"],
        "accountId": account_id,
        "expiresAt": format_timestamp(now + int(output["expiresIn"])),
    }


def refresh(
    session: str, token: dict[str, Any], profile: str, region: str | None, clock: Callable[[], float]
) -> dict[str, Any]:
    """The token refreshed (CreateOAuth2Token, grant refresh_token, a new proof with the login's
    key) in the login's region (`signInRegion`, else `region`...): new credentials and refresh
    token over the old ones, every other field kept, as botocore does; `signInRegion` added
    when the token had none."""
    key = DpopKey.from_pem(str(token["dpopKey"]))
    client = _client(profile, str(token.get("signInRegion") or "") or region)
    output = create_token(
        client,
        key,
        {"clientId": str(token["clientId"]), "refreshToken": str(token["refreshToken"]), "grantType": "refresh_token"},
        clock,
    )
    previous = token.get("accessToken")
    account_id = str((previous.get("accountId") if isinstance(previous, dict) else "") or account_of(session))
    access = _access_token(output, account_id, clock())
    refreshed = {**token, "accessToken": access, "refreshToken": output["refreshToken"]}
    refreshed.setdefault("signInRegion", client.meta.region_name)
    return refreshed


# --- signing in ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignedIn:
    session: str  # the login session's ARN: what `login_session` names
    token: dict[str, Any]  # the cache file's JSON


def authorize_url(base: str, client_id: str, state: str, redirect_uri: str, challenge: str) -> str:
    """The authorize URL as AWS CLI v2 builds it: these parameters in this order, percent-encoded
    with only -._~ safe, the (unpadded) code_challenge last."""
    parameters = (
        ("response_type", "code"),
        ("client_id", client_id),
        ("state", state),
        ("code_challenge_method", "SHA-256"),
        ("scope", "openid"),
        ("redirect_uri", redirect_uri),
    )
    query = "&".join(f"{name}={urllib.parse.quote(value, safe='-._~')}" for name, value in parameters)
    return f"{base}{AUTHORIZE_PATH}?{query}&code_challenge={challenge}"


def sign_in(
    ui: Any,  # prompts.UI; its `show`, when it has one, for what must reach the terminal
    profile: str,
    region: str | None,
    remote: bool = False,
    clock: Callable[[], float] = time.time,
    wait_seconds: float = SIGN_IN_WAIT_SECONDS,
) -> SignedIn:
    """Sign in through the browser: same-device (a one-shot listener on 127.0.0.1, the browser
    opened) or `remote` (the URL shown, the code the browser shows pasted). Returns the token
    to cache; writes nothing."""
    show = getattr(ui, "show", ui.say)
    key = DpopKey.new()  # no cryptography: said before any browser opens
    client = _client(profile, region)
    base = endpoint(client)
    verifier = "".join(secrets.choice(_VERIFIER_ALPHABET) for _ in range(64))
    challenge = _b64url(hashlib.sha256(verifier.encode("ascii")).digest())
    state = str(uuid.uuid4())
    if remote:
        client_id, redirect_uri = CROSS_DEVICE, base + CONFIRMATION_PATH
        url = authorize_url(base, client_id, state, redirect_uri, challenge)
        show(f"To sign in, open this URL in a browser on any device and sign in:\n\n{url}\n")
        code, returned_state = parse_pasted(ui.ask("Then paste the authorization code the browser shows: "))
    else:
        client_id = SAME_DEVICE
        with CallbackListener() as listener:
            redirect_uri = listener.redirect_uri
            url = authorize_url(base, client_id, state, redirect_uri, challenge)
            show(
                "Signing in with your browser. If it does not open, open this URL on this machine "
                f"(on another machine: Ctrl-C, then sign in with --remote):\n\n{url}\n"
            )
            from stscreds import browser

            if not browser.open_url(url):  # nothing a browser prints reaches stdout
                show("No browser could be opened here (no display): open the URL above in a browser on this machine.")
            query = listener.wait(wait_seconds)
        if "error" in query:
            detail = query.get("error_description") or query["error"]
            raise LoginError(f"the sign-in was not completed in the browser ({query['error']}: {detail[:200]})")
        code, returned_state = query.get("code", ""), query.get("state", "")
    if not hmac.compare_digest(returned_state.encode(), state.encode()):
        raise LoginError("the browser's answer is not for this sign-in (its state differs); nothing was written")
    output = create_token(
        client,
        key,
        {
            "clientId": client_id,
            "grantType": "authorization_code",
            "code": code,
            "codeVerifier": verifier,
            "redirectUri": redirect_uri,
        },
        clock,
    )
    session = _session_of(output["idToken"])
    token: dict[str, Any] = {
        "accessToken": _access_token(output, account_of(session), clock()),
        "tokenType": output.get("tokenType", "aws_sigv4"),
        "clientId": client_id,
        "refreshToken": output["refreshToken"],
        "idToken": output["idToken"],
        "dpopKey": key.pem(),
        "signInRegion": client.meta.region_name,
    }
    return SignedIn(session, token)


def parse_pasted(text: str) -> tuple[str, str]:
    """(code, state) from the code the cross-device page shows: base64 of `state=…&code=…`."""
    try:
        fields = dict(urllib.parse.parse_qsl(base64.b64decode(text.strip(), validate=True).decode("utf-8")))
    except (ValueError, UnicodeDecodeError):
        fields = {}
    if not fields.get("code") or not fields.get("state"):
        raise LoginError("that is not the authorization code the browser showed (paste it whole); nothing was written")
    return fields["code"], fields["state"]


class CallbackListener:
    """The same-device redirect target: http on 127.0.0.1 (never other interfaces), a port the
    kernel picks, path /oauth/callback. Every request gets a short page; the first one carrying
    `code` and `state`, or `error`, is the answer. It prints nothing."""

    def __init__(self) -> None:
        from http.server import BaseHTTPRequestHandler, HTTPServer

        self.query: dict[str, str] | None = None
        self._done = threading.Event()
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                split = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(split.query))
                answer = split.path == CALLBACK_PATH and ("error" in query or ("code" in query and "state" in query))
                if answer and "error" in query:
                    page = b"Sign-in was not completed. You can close this window and return to your terminal."
                elif answer:
                    page = b"Signed in. You can close this window and return to your terminal."
                else:
                    page = b"Waiting for the sign-in to finish."
                self.send_response(200 if answer else 404)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)
                if answer and listener.query is None:
                    listener.query = query
                    listener._done.set()

            def log_message(self, format: str, *args: Any) -> None:
                pass  # nothing reaches stdout or stderr

        self._server = HTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.1,), daemon=True)
        self._thread.start()

    @property
    def redirect_uri(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{CALLBACK_PATH}"

    def wait(self, seconds: float) -> dict[str, str]:
        if not self._done.wait(seconds) or self.query is None:
            raise LoginError(
                f"no sign-in came back from the browser within {seconds:g} s; run the login again "
                "(or sign in with --remote when the browser is on another machine)"
            )
        return self.query

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> CallbackListener:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
