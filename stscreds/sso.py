"""AWS IAM Identity Center (SSO): log in, keep the token, get role credentials, discover roles.

Configuration is what AWS CLI v2 writes: `[sso-session NAME]` (`sso_start_url`, `sso_region`,
`sso_registration_scopes`) named by a profile's `sso_session`, or the legacy form with
`sso_start_url` and `sso_region` on the profile itself; the profile names `sso_account_id` and
`sso_role_name`. (Profiles written by `sso discover --style process` keep the same settings as
`stscreds_sso_*`, which botocore ignores, so that it runs their `credential_process`.)

The token lives in `~/.aws/sso/cache/` under exactly the names and JSON that AWS CLI v2 (its
v2 branch, `SSOTokenFetcher` in its botocore) writes: the token in sha1(session name).json
(legacy: sha1(start URL).json) holding the start URL, region, access token, its end and the
client registration it was got with (clientId, clientSecret, registrationExpiresAt, and a
refreshToken when the service gave one); the registration in sha1 of {tool, startUrl, region,
scopes, session_name} (JSON, keys sorted; scopes and session_name null for the legacy form),
holding clientId, clientSecret, expiresAt (and scopes). So one login serves AWS CLI v2, boto3
and stscreds alike, and stscreds uses a login made by `aws sso login`. A token with a refresh
token is renewed within botocore's 15 minutes of its end, without a browser.

Login is the OAuth device authorization flow of `sso-oidc`: the person opens a URL (stscreds
opens a browser when there is a display, browser.py) and approves a code shown on the terminal.

Every call goes through aws.make_client and aws.calling, and every answer is checked where it is
read, inside `calling`: an answer that is not AWS's (a proxy's 403 or 407 page, a captive
portal's 200 page, a body cut off) is one line naming the endpoint, never the body.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from stscreds import atomic, paths
from stscreds.config import PROCESS_PREFIX, sso_settings
from stscreds.credentials import Credentials, format_timestamp, parse_expiration
from stscreds.errors import AwsError, NoInputError, UsageError

# botocore refreshes a token that ends within 15 minutes; so do we, and log in anew when it
# cannot be refreshed and has less than a minute left.
TOKEN_REFRESH_SECONDS = 15 * 60
TOKEN_MIN_SECONDS = 60
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


class SsoError(AwsError):
    """IAM Identity Center refused, or its login did not finish."""


@dataclass(frozen=True)
class SsoSession:
    """Where to log in: an [sso-session NAME], or (name None) a legacy profile's settings.
    `profile` is the profile it was read from, for the hints that name it."""

    name: str | None
    start_url: str
    region: str
    scopes: list[str] | None
    profile: str | None = field(default=None, compare=False)

    @property
    def label(self) -> str:
        return self.name or self.start_url

    @property
    def token_file(self) -> str:
        return os.path.join(paths.sso_cache_dir(), _sha1(self.name or self.start_url) + ".json")

    @property
    def registration_file(self) -> str:
        # AWS CLI v2's BaseSSOTokenFetcher._registration_cache_key, exactly: for the legacy form
        # too, with scopes and session_name None (older CLIs used botocore-client-id-REGION).
        args = {
            "tool": "botocore",
            "startUrl": self.start_url,
            "region": self.region,
            "scopes": self.scopes,
            "session_name": self.name,
        }
        return os.path.join(paths.sso_cache_dir(), _sha1(json.dumps(args, sort_keys=True)) + ".json")

    @property
    def login_hint(self) -> str:
        if self.name:
            return f"stscreds sso login --sso-session {self.name}"
        return f"stscreds sso login --profile {self.profile or 'PROFILE'}"


def _sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def parse_scopes(text: str | None) -> list[str] | None:
    """As AWS CLI v2's parse_sso_registration_scopes: comma-separated, None when not set."""
    if not text:
        return None
    return [scope.strip() for scope in text.split(",") if scope.strip()] or None


def session_for(settings: dict[str, str], sessions: Mapping[str, Mapping[str, Any]], profile: str) -> SsoSession:
    """The SSO session a profile's settings name, checked: one line for what is missing."""
    name = settings.get("sso_session") or None  # empty means none: the legacy form, as for botocore
    if name:
        config = sessions.get(name)
        if config is None:
            raise UsageError(
                f"profile {profile!r} names sso_session {name!r}, which the AWS config file does not define"
            )
        where = f"[sso-session {name}]"
    else:
        config, where = settings, f"profile {profile!r}"
    start_url, region = config.get("sso_start_url"), config.get("sso_region")
    missing = [key for key, value in (("sso_start_url", start_url), ("sso_region", region)) if not value]
    if missing:
        raise UsageError(f"{where} has no {' or '.join(missing)}: IAM Identity Center needs both")
    scopes = parse_scopes(config.get("sso_registration_scopes")) if name else None
    return SsoSession(name, str(start_url), str(region), scopes, profile)


# --- the token cache ------------------------------------------------------------------------


def _read_json(path: str) -> dict[str, Any] | None:
    try:
        with open(path, encoding="utf-8") as stream:
            data = json.load(stream)
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return None  # a broken cache entry is no login
    return data if isinstance(data, dict) else None


def _write_json(path: str, data: dict[str, Any]) -> None:
    atomic.make_folders(os.path.dirname(path))
    atomic.write_file(path, json.dumps(data).encode("utf-8"))  # json.dumps' defaults, as AWS CLI v2's cache


def _when(text: object) -> float | None:
    return parse_expiration(text) if isinstance(text, str) else None


def load_token(session: SsoSession) -> dict[str, Any] | None:
    token = _read_json(session.token_file)
    if not token or not token.get("accessToken") or _when(token.get("expiresAt")) is None:
        return None
    return token


def logout(session: SsoSession) -> bool:
    """Remove the session's cached token; True when there was one."""
    token = load_token(session)
    if token is not None:
        try:
            _client("sso", session.region).logout(accessToken=token["accessToken"])
        except Exception:  # the token is forgotten here whatever the portal says
            pass
    return atomic.remove_file(session.token_file)


# --- calls ---------------------------------------------------------------------------------------


def _client(service: str, region: str) -> Any:
    """An unsigned client in the session's region (these APIs take the token or the
    registration instead), made as every client of stscreds is (aws.make_client):
    AWS_ENDPOINT_URL_SSO(_OIDC) apply, as for any botocore client."""
    from stscreds.aws import make_client

    client = make_client(service, region=region)
    client.meta.events.register("before-parse", _refuse_a_body_that_is_not_json)
    return client


def _refuse_a_body_that_is_not_json(response_dict: dict[str, Any], **kwargs: Any) -> None:
    """A 2xx answer of these REST-JSON APIs is a JSON object (or empty). botocore's parser takes
    any other body (a captive portal's page) as an empty answer, so that ListAccounts would
    find no account: refused here, as botocore refuses an XML answer that does not parse, and
    aws.calling says so in one line without the body. (An error status is botocore's already:
    its code is then the HTTP status, which aws.calling reports the same way.)"""
    from botocore.parsers import ResponseParserError

    body = response_dict.get("body")
    if not 200 <= int(response_dict.get("status_code") or 0) < 300 or not isinstance(body, bytes) or not body.strip():
        return
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise ResponseParserError("the answer is not a JSON object")


def _text(answer: dict[str, Any], key: str) -> str:
    """A string member an answer must have: a KeyError (inside `calling`: not AWS's) if not."""
    value = answer[key]
    if not isinstance(value, str) or not value:
        raise KeyError(key)
    return value


def _number(answer: dict[str, Any], key: str) -> int:
    value = answer[key]
    if not isinstance(value, int) or isinstance(value, bool):
        raise KeyError(key)
    return value


@contextmanager
def _calling(action: str, client: Any = None) -> Iterator[None]:
    from stscreds.aws import calling

    with calling(action, client, error_class=SsoError, service="IAM Identity Center"):
        yield


def role_credentials(session: SsoSession, access_token: str, account_id: str, role_name: str) -> Credentials:
    client = _client("sso", session.region)
    with _calling("sso:GetRoleCredentials", client):
        answer = client.get_role_credentials(accessToken=access_token, accountId=account_id, roleName=role_name)
        role = answer["roleCredentials"]
        key, secret, token = (_text(role, k) for k in ("accessKeyId", "secretAccessKey", "sessionToken"))
        return Credentials(key, secret, token, _number(role, "expiration") / 1000)


def accounts_and_roles(session: SsoSession, access_token: str, workers: int = 8) -> list[tuple[dict[str, str], str]]:
    """Every (account, role name) the person may use: every page, accounts in parallel."""
    from concurrent.futures import ThreadPoolExecutor

    client = _client("sso", session.region)
    with _calling("sso:ListAccounts", client):
        accounts = [
            {**account, "accountId": _text(account, "accountId")}
            for page in client.get_paginator("list_accounts").paginate(accessToken=access_token)
            for account in page.get("accountList", [])
        ]

    def roles(account: dict[str, str]) -> list[str]:
        with _calling(f"sso:ListAccountRoles for {account['accountId']}", client):
            pages = client.get_paginator("list_account_roles").paginate(
                accessToken=access_token, accountId=account["accountId"]
            )
            return [_text(role, "roleName") for page in pages for role in page.get("roleList", [])]

    with ThreadPoolExecutor(max(1, min(workers, len(accounts)))) as pool:
        found = list(pool.map(roles, accounts))
    return [(account, role) for account, names in zip(accounts, found) for role in names]


# --- a valid token, by refresh or login ---------------------------------------------------------


@dataclass
class Login:
    """How a login reaches the person: where to say things, whether a browser may open."""

    say: Callable[[str], None]
    can_ask: bool
    open_browser: bool = True
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time


def valid_token(session: SsoSession, login: Login, hint: str | None = None) -> str:
    """An access token with a minute or more left: the cached one, refreshed within 15 minutes
    of its end when it can be, else a new login when someone can approve it."""
    now = login.clock()
    token = load_token(session)
    if token is not None:
        ends = _when(token["expiresAt"]) or 0
        if ends - now > TOKEN_REFRESH_SECONDS:
            return str(token["accessToken"])
        refreshed = _refresh(session, token, login)
        if refreshed is not None:
            return refreshed
        if ends - now > TOKEN_MIN_SECONDS:
            return str(token["accessToken"])
    if not login.can_ask:
        raise NoInputError(
            f"the IAM Identity Center login for {session.label} is missing or expired and there is no terminal to "
            f"approve a new one on: run `{hint or session.login_hint}`"
        )
    return device_login(session, login)


def _refresh(session: SsoSession, token: dict[str, Any], login: Login) -> str | None:
    keys = ("refreshToken", "clientId", "clientSecret", "registrationExpiresAt")
    if not all(token.get(key) for key in keys) or (_when(token["registrationExpiresAt"]) or 0) <= login.clock():
        return None
    try:
        answer = _create_token(
            _client("sso-oidc", session.region),
            grantType="refresh_token",
            clientId=token["clientId"],
            clientSecret=token["clientSecret"],
            refreshToken=token["refreshToken"],
        )
    except SsoError:
        return None  # a refused refresh is no login: log in anew
    _save_token(session, answer, token, login.clock())
    return str(answer["accessToken"])


def _create_token(oidc: Any, **request: str) -> dict[str, Any]:
    """sso-oidc:CreateToken, its answer checked: an access token and how long it lasts."""
    with _calling("sso-oidc:CreateToken", oidc):
        answer: dict[str, Any] = oidc.create_token(**request)
        _text(answer, "accessToken")
        _number(answer, "expiresIn")
        if "refreshToken" in answer:
            _text(answer, "refreshToken")
        return answer


def _save_token(session: SsoSession, answer: dict[str, Any], registration: dict[str, Any], now: float) -> None:
    """The token file as AWS CLI v2 writes it, for both forms: the token, and the registration
    it was got with beside it ("Cache the registration alongside the token"), members in its
    order; a refreshToken only when the service gave one (a legacy, unscoped login gets none)."""
    token: dict[str, Any] = {
        "startUrl": session.start_url,
        "region": session.region,
        "accessToken": answer["accessToken"],
        "expiresAt": format_timestamp(now + int(answer["expiresIn"])),
        "clientId": registration["clientId"],
        "clientSecret": registration["clientSecret"],
        "registrationExpiresAt": registration.get("registrationExpiresAt") or registration["expiresAt"],
    }
    refresh = answer.get("refreshToken") or registration.get("refreshToken")
    if refresh:
        token["refreshToken"] = refresh
    _write_json(session.token_file, token)


def _registration(session: SsoSession, now: float) -> dict[str, Any]:
    """The client registration, from the cache while it lasts, else a new one (cached)."""
    cached = _read_json(session.registration_file)
    if cached and cached.get("clientId") and cached.get("clientSecret"):
        if (_when(cached.get("expiresAt")) or 0) > now + TOKEN_REFRESH_SECONDS:
            return cached
    register: dict[str, Any] = {"clientName": f"stscreds-{session.name or int(now)}", "clientType": "public"}
    if session.scopes:
        register["scopes"] = session.scopes
    oidc = _client("sso-oidc", session.region)
    with _calling("sso-oidc:RegisterClient", oidc):
        answer = oidc.register_client(**register)
        registration: dict[str, Any] = {
            "clientId": _text(answer, "clientId"),
            "clientSecret": _text(answer, "clientSecret"),
            "expiresAt": format_timestamp(_number(answer, "clientSecretExpiresAt")),
        }
    if session.scopes:
        registration["scopes"] = session.scopes
    _write_json(session.registration_file, registration)
    return registration


def device_login(session: SsoSession, login: Login) -> str:
    """The device authorization flow: show the URL and code, poll until approved."""
    registration = _registration(session, login.clock())
    oidc = _client("sso-oidc", session.region)
    with _calling("sso-oidc:StartDeviceAuthorization", oidc):
        device = oidc.start_device_authorization(
            clientId=registration["clientId"], clientSecret=registration["clientSecret"], startUrl=session.start_url
        )
        device_code, user_code = _text(device, "deviceCode"), _text(device, "userCode")
        url = device.get("verificationUriComplete") or _text(device, "verificationUri")
        interval = float(device.get("interval", 5))
        deadline = login.clock() + float(device.get("expiresIn", 600))
    login.say(f"To sign in to IAM Identity Center ({session.start_url}), open {url}")
    login.say(f"and check that it shows the code {user_code}; then approve it. Waiting...")
    if login.open_browser:
        from stscreds.browser import open_url

        open_url(url)  # nothing it prints reaches stdout: `$(stscreds read ...)` may be logging in

    while True:
        try:
            answer = _create_token(
                oidc,
                grantType=DEVICE_GRANT,
                clientId=registration["clientId"],
                clientSecret=registration["clientSecret"],
                deviceCode=device_code,
            )
            break
        except SsoError as error:
            if error.code == "AuthorizationPendingException":
                pass
            elif error.code == "SlowDownException":
                interval += 5  # what RFC 8628 and AWS CLI v2 do
            elif error.code == "ExpiredTokenException":
                raise SsoError(
                    "the sign-in code expired before it was approved: run the login again and approve it sooner"
                ) from None
            elif error.code == "AccessDeniedException":
                raise SsoError("the sign-in was denied") from None
            else:
                raise
        if login.clock() + interval > deadline:
            raise SsoError("the sign-in code expired before it was approved: run the login again and approve it sooner")
        login.sleep(interval)
    _save_token(session, answer, {**registration, "registrationExpiresAt": registration["expiresAt"]}, login.clock())
    login.say(f"Signed in to {session.start_url}; the login is in {session.token_file}")
    return str(answer["accessToken"])


# --- discovery -------------------------------------------------------------------------------

_NAME_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@+")


def profile_name(pattern: str, account: dict[str, str], role: str) -> str:
    """PATTERN with {account_name}, {account_id}, {role_name} (and {email}) filled in, made
    safe for a section name that botocore (which splits [profile NAME] on spaces) reads back."""
    try:
        name = pattern.format(
            account_name=account.get("accountName", ""),
            account_id=account["accountId"],
            role_name=role,
            email=account.get("emailAddress", ""),
        )
    except (KeyError, IndexError, ValueError) as error:
        raise UsageError(f"--name {pattern!r}: {error}; use {{account_name}}, {{account_id}}, {{role_name}}") from None
    safe = "".join(c if c in _NAME_CHARACTERS else "-" for c in name).strip("-.")
    while "--" in safe:
        safe = safe.replace("--", "-")
    if not safe:
        raise UsageError(f"--name {pattern!r} gives an empty profile name for account {account['accountId']}")
    return safe


def discovered_settings(session: SsoSession, account_id: str, role: str, style: str, name: str) -> dict[str, str]:
    """The settings of one discovered profile, `sso` style (native) or `process` style."""
    if session.name is not None:
        where = {"sso_session": session.name}
    else:
        where = {"sso_start_url": session.start_url, "sso_region": session.region}
    values = {**where, "sso_account_id": account_id, "sso_role_name": role}
    if style == "sso":
        return values
    return {
        "credential_process": f"stscreds credential-process --profile {name}",
        **{PROCESS_PREFIX + key: value for key, value in values.items()},
    }


__all__ = ["PROCESS_PREFIX", "SsoError", "SsoSession", "sso_settings"]
