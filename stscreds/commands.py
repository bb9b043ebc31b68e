"""The commands as plain functions. They take their I/O (a UI, a way to make the AWS
API, a clock) as arguments, print nothing themselves and raise StscredsError on failure."""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from stscreds import files, shells
from stscreds.errors import (
    MfaCommandError,
    MfaDeviceError,
    NoInputError,
    NotInitialisedError,
    StscredsError,
    UsageError,
    mask,
)
from stscreds.prompts import UI, choose, run_mfa_command

if TYPE_CHECKING:
    from stscreds.aws import AwsApi

# (access key id, secret, profile) -> AwsApi. The CLI passes the real constructor.
ApiFactory = Callable[[str, str, str], "AwsApi"]
Clock = Callable[[], float]  # seconds since the epoch, like time.time

# GetSessionToken's limits for IAM users.
MIN_DURATION = 900
MAX_DURATION = 129_600
DEFAULT_DURATION = "12h"

log = logging.getLogger(__name__)

_DURATION = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")
_MFA_CODE = re.compile(r"[0-9]{6}")  # not \d: that also matches other scripts' digits


def parse_duration(text: str) -> int:
    """'12h', '90m', '3600s', '1h30m' or plain seconds -> seconds within AWS's range."""
    value = text.strip().lower()
    match = _DURATION.fullmatch(value)
    if value.isdigit():
        seconds = int(value)
    elif value and match:
        hours, minutes, secs = (int(group or 0) for group in match.groups())
        seconds = hours * 3600 + minutes * 60 + secs
    else:
        raise UsageError(f"invalid duration {text!r}: use a form like 12h, 90m or 3600s")
    if not MIN_DURATION <= seconds <= MAX_DURATION:
        raise UsageError(
            f"duration {text!r} is {seconds} s; AWS allows {MIN_DURATION} s (15m) to {MAX_DURATION} s (36h)"
        )
    return seconds


# --- init --------------------------------------------------------------------------------


@dataclass(frozen=True)
class InitResult:
    user_name: str
    access_key_id: str
    path: str
    shadowing_variables: tuple[str, ...]


def init_profile(
    profile: str,
    ui: UI,
    make_api: ApiFactory,
    environ: dict[str, str] | None = None,
    mfa_command: str | None = None,
) -> InitResult:
    """Ask for the long-term pair, check it with iam:GetUser, then store it, with the user's
    ARN and, when given, the command that prints MFA codes for this profile ("" removes it)."""
    files.check_profile_name(profile)
    environ = dict(os.environ) if environ is None else environ
    shadowing = tuple(name for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY") if environ.get(name))
    access_key_id = ui.ask("AWS Access Key ID: ")
    if not files.looks_like_access_key_id(access_key_id):
        raise UsageError("that does not look like an AWS access key ID (16 or more capital letters and digits)")
    secret = ui.ask("AWS Secret Access Key: ", secret=True)
    if not secret or any(c.isspace() for c in secret):
        raise UsageError("the secret access key must be one word with no spaces")
    user = make_api(access_key_id, secret, profile).current_user()
    settings = {files.USER_ARN: user.arn}
    if mfa_command is not None:
        settings[files.MFA_COMMAND] = mfa_command
    path = files.save_long_term_keys(profile, access_key_id, secret, settings=settings)
    return InitResult(user.name, access_key_id, path, shadowing)


# --- auth --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuthResult:
    path: str
    user_name: str
    expiration: datetime
    values: dict[str, str]


def authenticate(
    profile: str,
    duration_seconds: int,
    mfa_serial: str | None,
    ui: UI,
    make_api: ApiFactory,
    mfa: MfaPrompter | None = None,
) -> AuthResult:
    """Trade the stored long-term keys and an MFA code for session credentials in [profile].
    The code comes from `mfa`, by default `mfa_prompter(ui, profile)`."""
    keys = _prepare(profile)
    mfa = mfa or mfa_prompter(ui, profile)
    with files.AuthLock(ui.say):
        return _authenticate(profile, keys, duration_seconds, mfa_serial, ui, make_api, mfa)


@dataclass(frozen=True)
class _Prepared:
    path: str
    access_key_id: str
    secret_access_key: str


def _prepare(profile: str) -> _Prepared:
    """Everything auth checks before it may take the lock, call AWS or ask for a code."""
    files.check_profile_name(profile)
    path = files.shared_credentials_path()
    # Fail on a broken file before we ask anyone for a code they would then waste.
    files.load_shared_file(path)
    access_key_id, secret = files.load_long_term_keys(profile)
    return _Prepared(path, access_key_id, secret)


def _authenticate(
    profile: str,
    keys: _Prepared,
    duration_seconds: int,
    mfa_serial: str | None,
    ui: UI,
    make_api: ApiFactory,
    mfa: MfaPrompter,
) -> AuthResult:
    """auth's calls, prompt and write; the caller holds the AuthLock."""
    api = make_api(keys.access_key_id, keys.secret_access_key, profile)
    user = api.current_user()
    if not user.name:
        raise StscredsError(f"access key {mask(keys.access_key_id)} belongs to the root user; use an IAM user's keys")
    serial = _pick_mfa_device(api.mfa_serials(user.name), mfa_serial, user.name, ui)
    ui.say(f"Current user: {user.name}.")
    session = api.session_token(duration_seconds, serial, mfa(serial))
    values = {
        files.ACCESS_KEY_ID: session.access_key_id,
        files.SECRET_ACCESS_KEY: session.secret_access_key,
        files.SESSION_TOKEN: session.session_token,
        files.EXPIRATION: files.format_expiration(session.expiration),
    }
    files.write_session(keys.path, profile, values)
    files.save_store_settings(profile, {files.USER_ARN: user.arn})  # for `status`; written only if new
    return AuthResult(keys.path, user.name, session.expiration, values)


# serial of the MFA device -> the code it shows, like botocore's mfa_prompter.
MfaPrompter = Callable[[str], str]
MFA_COMMAND_VARIABLE = "STSCREDS_MFA_COMMAND"


def mfa_prompter(
    ui: UI,
    profile: str,
    code: str | None = None,
    command: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> MfaPrompter:
    """Where the MFA code comes from, first found first: `code` (auth --mfa-code), `command`
    (auth --mfa-command), $STSCREDS_MFA_COMMAND, the profile's mfa_command (init
    --mfa-command), else the person at `ui`."""
    if code is not None:
        checked = _checked_code(code, "--mfa-code", UsageError)
        return lambda serial: checked
    command = command or configured_mfa_command(profile, environ)
    if command:

        def from_command(serial: str) -> str:
            ui.say(f"Getting the MFA code for {serial} from: {command}")
            return _checked_code(run_mfa_command(command), "the MFA command's output", MfaCommandError)

        return from_command
    return lambda serial: _ask_mfa_code(ui, serial)


def configured_mfa_command(profile: str, environ: Mapping[str, str] | None = None) -> str | None:
    """$STSCREDS_MFA_COMMAND, else the profile's mfa_command from init, else None."""
    environ = os.environ if environ is None else environ
    return environ.get(MFA_COMMAND_VARIABLE) or files.load_store_settings(profile).get(files.MFA_COMMAND)


def _mfa_code(text: str) -> str | None:
    """The 6 digits in `text` ("123 456", as some apps show them, is fine), else None."""
    code = "".join(text.split())
    return code if _MFA_CODE.fullmatch(code) else None


def _checked_code(text: str, source: str, error: type[StscredsError]) -> str:
    code = _mfa_code(text)
    if code is None:
        raise error(f"{source} is not an MFA code: it must be 6 digits")
    return code


def _ask_mfa_code(ui: UI, serial: str) -> str:
    """Six digits from the person. At a terminal they get another go; a script gets an error.
    Either way AWS never sees a malformed code, which would cost an attempt."""
    while True:
        code = _mfa_code(ui.ask(f"MFA code for {serial}: "))
        if code is not None:
            return code
        if not ui.interactive:
            raise UsageError("the MFA code must be the 6 digits your device shows")
        ui.say("The MFA code is the 6 digits your device shows; try again.")


def _pick_mfa_device(serials: list[str], wanted: str | None, user_name: str, ui: UI) -> str:
    if not serials:
        raise MfaDeviceError(f"IAM user {user_name} has no MFA device: assign one in the IAM console first")
    if wanted is not None:
        if wanted not in serials:
            raise MfaDeviceError(f"{wanted} is not an MFA device of {user_name}; theirs: {', '.join(serials)}")
        return wanted
    if len(serials) == 1:
        return serials[0]
    if not ui.interactive:
        raise MfaDeviceError(
            f"{user_name} has {len(serials)} MFA devices; pick one with --mfa-serial: {', '.join(serials)}"
        )
    return choose(ui, f"{user_name} has {len(serials)} MFA devices:", serials)


# --- read --------------------------------------------------------------------------------


def check_readable_key(key: str) -> str:
    if key not in files.READABLE_KEYS:
        raise UsageError(f"unknown key {key!r}; choose one of: {', '.join(files.READABLE_KEYS)}")
    return key


def read_value(key: str, profile: str, ui: UI, make_api: ApiFactory, clock: Clock = time.time) -> str:
    """KEY from [profile], after a new `auth` when the session is missing or expired."""
    check_readable_key(key)
    return current_session(profile, ui, make_api, clock)[key]


def current_session(
    profile: str,
    ui: UI,
    make_api: ApiFactory,
    clock: Clock = time.time,
    margin: float = files.EXPIRY_MARGIN_SECONDS,
) -> dict[str, str]:
    """The managed keys of [profile], authenticating first when its session is missing or
    ends within `margin` seconds. Of several stscreds doing this at once, one asks for the MFA
    code; the others wait for it and then read what it wrote."""
    files.check_profile_name(profile)
    session = files.current_session(profile, clock(), margin)
    if session is not None:
        log.debug("[%s] holds a session valid until %s", profile, session.get(files.EXPIRATION))
        return session
    log.debug("[%s] of %s holds no valid session", profile, files.shared_credentials_path())
    keys = _prepare(profile)
    mfa = mfa_prompter(ui, profile)
    with files.AuthLock(ui.say):
        session = files.current_session(profile, clock(), margin)  # renewed while we waited?
        if session is None:
            ui.say(f"The session for profile {profile!r} is missing or expired; authenticating.")
            duration = parse_duration(DEFAULT_DURATION)
            session = _authenticate(profile, keys, duration, None, ui, make_api, mfa).values
    return session


# --- env, exec, credential-process ----------------------------------------------------------


def env_script(profile: str, shell: str, ui: UI, make_api: ApiFactory, clock: Clock = time.time) -> str:
    """What `stscreds env` prints: the session's variables, set the way `shell` sets them."""
    if shell not in shells.SHELLS:
        raise UsageError(f"unknown shell {shell!r}; choose one of: {', '.join(shells.SHELLS)}")
    return shells.script(current_session(profile, ui, make_api, clock), shell)


# Variables that would make an SDK look for a profile instead of using the session's keys.
PROFILE_VARIABLES = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE")


def exec_environment(
    profile: str, ui: UI, make_api: ApiFactory, environ: dict[str, str], clock: Clock = time.time
) -> dict[str, str]:
    """`environ` for the command `stscreds exec` runs: the session's keys in, profiles out."""
    session = current_session(profile, ui, make_api, clock)
    kept = {name: value for name, value in environ.items() if name not in PROFILE_VARIABLES}
    return {**kept, **shells.environment(session)}


# botocore re-runs a credential_process on every call once its keys end within 15 minutes
# (its "advisory" refresh window), and fails once they end within 10. So credential-process
# renews a session 15 minutes early when it can ask for a code, and otherwise hands out the
# current one while it is still good by read's 5-minute margin.
SDK_REFRESH_MARGIN_SECONDS = 15 * 60


def credential_process_output(profile: str, ui: UI, make_api: ApiFactory, clock: Clock = time.time) -> str:
    """The JSON an AWS SDK expects from a `credential_process` (its version 1). `ui` is the
    terminal itself or nothing: stdin belongs to the program that runs us."""
    files.check_profile_name(profile)
    session = files.current_session(profile, clock(), SDK_REFRESH_MARGIN_SECONDS)
    if session is None and not ui.interactive and not configured_mfa_command(profile):
        # No way to get a code: decide before any call to AWS, since an SDK runs us again
        # before each of its calls while the session is in its refresh window.
        session = files.current_session(profile, clock())
        if session is None:
            raise NoInputError("the session has expired and there is no terminal to ask on and no MFA command")
    if session is None:
        session = current_session(profile, ui, make_api, clock, SDK_REFRESH_MARGIN_SECONDS)
    return json.dumps(
        {
            "Version": 1,
            "AccessKeyId": session[files.ACCESS_KEY_ID],
            "SecretAccessKey": session[files.SECRET_ACCESS_KEY],
            "SessionToken": session[files.SESSION_TOKEN],
            "Expiration": session[files.EXPIRATION],
        }
    )


# --- status and whoami -----------------------------------------------------------------------


@dataclass(frozen=True)
class Status:
    profile: str
    path: str
    user_arn: str | None
    access_key_id: str | None  # masked, of the session
    long_term_access_key_id: str | None  # masked
    expiration: str | None
    seconds_left: int | None  # negative once it has ended
    valid: bool  # as read sees it: outlives now by the margin

    def as_json(self) -> str:
        return json.dumps(asdict(self), indent=2)


def session_status(profile: str, clock: Clock = time.time) -> Status:
    """What the files say about [profile]: no network, no prompt."""
    files.check_profile_name(profile)
    path = files.shared_credentials_path()
    section = files.read_shared_credentials(path).get(profile)
    end = files.session_end(section)
    now = clock()
    try:
        long_term = mask(files.load_long_term_keys(profile)[0])
    except NotInitialisedError:
        long_term = None
    key = section.get(files.ACCESS_KEY_ID) if section else None
    return Status(
        profile=profile,
        path=path,
        user_arn=files.load_store_settings(profile).get(files.USER_ARN),
        access_key_id=mask(key) if isinstance(key, str) and end is not None else None,
        long_term_access_key_id=long_term,
        expiration=files.format_timestamp(end) if end is not None else None,
        seconds_left=int(end - now) if end is not None else None,
        valid=files.valid_session(section, now),
    )


@dataclass(frozen=True)
class Identity:
    user_name: str
    arn: str
    access_key_id: str  # masked
    mfa_serials: list[str]


def whoami(profile: str, make_api: ApiFactory) -> Identity:
    """The IAM user the stored long-term keys belong to, and their MFA devices."""
    files.check_profile_name(profile)
    access_key_id, secret = files.load_long_term_keys(profile)
    api = make_api(access_key_id, secret, profile)
    user = api.current_user()
    serials = api.mfa_serials(user.name) if user.name else []
    return Identity(user.name, user.arn, mask(access_key_id), serials)
