"""What stscreds prints, made from one `Credentials` (or a status report): shell lines for
`env --shell`, the JSON of `credential-process`, and `status` as text or JSON. (`env --format`
and `--unset` are in exports.py, `list` in listing.py: every line here costs each new shell,
and only those commands need them.)

Standard library only, and not `json` either (its import pulls in `re`, as much again as
Python's own start-up): these run in every new shell and before every SDK call in a refresh
window. The small encoder here writes exactly what `json.dumps` writes for these values; a
test holds it to that.
"""

from __future__ import annotations

from stscreds.credentials import Credentials

# What `env` and `exec` set. botocore reads AWS_SECURITY_TOKEN before AWS_SESSION_TOKEN (and
# aws-vault exports both), so a stale one left in a shell would pair the new key with an old
# token: both are set. The AWS CLI v2 and several SDKs read AWS_CREDENTIAL_EXPIRATION.
VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
)


# A profile's region goes with its credentials (AWS CLI v2 and the SDKs read both names).
REGION_VARIABLES = ("AWS_REGION", "AWS_DEFAULT_REGION")
# What `env --shell` adds for the prompt hook (see shell_script).
HOOK_VARIABLES = ("STSCREDS_PROFILE", "STSCREDS_RENEW_AT")


def environment(credentials: Credentials, region: str | None = None) -> dict[str, str]:
    """The variables for a set of credentials, in VARIABLES' order, then the profile's region
    (when it has one) under both names."""
    values = (
        credentials.access_key_id,
        credentials.secret_access_key,
        credentials.session_token,
        credentials.session_token,
        credentials.expiration_text,
    )
    variables = dict(zip(VARIABLES, values))
    if region:
        variables.update(dict.fromkeys(REGION_VARIABLES, region))
    return variables


def quote(value: str, shell: str) -> str:
    """`value` as one literal word of `shell`: nothing in it is expanded or ends the word."""
    if shell == "fish":  # in fish's single quotes, \\ and \' are the only escapes
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if shell == "powershell":  # PowerShell's single quotes: '' is a quote; so are the curly ones
        for mark in "'\u2018\u2019\u201a\u201b":
            value = value.replace(mark, mark * 2)
        return "'" + value + "'"
    return "'" + value.replace("'", "'\\''") + "'"  # POSIX sh, bash, zsh


def assignment(name: str, value: str, shell: str) -> str:
    if shell == "fish":
        return f"set -gx {name} {quote(value, shell)}"
    if shell == "powershell":
        return f"$Env:{name} = {quote(value, shell)}"
    return f"export {name}={quote(value, shell)}"


def shell_script(credentials: Credentials, shell: str, profile: str, region: str | None = None) -> str:
    """The whole output of `stscreds env --shell SHELL`, one assignment per line. Besides the
    AWS variables (and the profile's region), which profile they are for and when to renew
    them (seconds since the epoch, the renewal margin before their end): a prompt hook compares
    that with the shell's own clock ($EPOCHSECONDS) and runs `stscreds env` again only when it
    is due."""
    from stscreds.credentials import RENEW_MARGIN_SECONDS

    variables = {
        **environment(credentials, region),
        "STSCREDS_PROFILE": profile,
        "STSCREDS_RENEW_AT": str(int(credentials.expires_at - RENEW_MARGIN_SECONDS)),
    }
    return "".join(assignment(name, value, shell) + "\n" for name, value in variables.items())


def shadowing_line(access_key_id: str) -> str:
    """What `status`, `auth` and `env` say when AWS_ACCESS_KEY_ID holds a long-term key."""
    from stscreds.credentials import mask

    return (
        f"warning: AWS_ACCESS_KEY_ID ({mask(access_key_id)}) and AWS_SECRET_ACCESS_KEY in your environment are a "
        "long-term key, which every AWS SDK uses before any profile or session: remove them where they are set "
        "(`unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY`)"
    )


# --- JSON, as json.dumps writes it -----------------------------------------------------------

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def json_string(text: str) -> str:
    """`json.dumps(text)` (ensure_ascii, as its default is)."""
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'
    pieces = []
    for char in text:
        code = ord(char)
        if char in _ESCAPES:
            pieces.append(_ESCAPES[char])
        elif 0x20 <= code <= 0x7E:
            pieces.append(char)
        elif code > 0xFFFF:  # as a UTF-16 surrogate pair
            code -= 0x10000
            pieces.append(f"\\u{0xD800 | (code >> 10):04x}\\u{0xDC00 | (code & 0x3FF):04x}")
        else:
            pieces.append(f"\\u{code:04x}")
    return '"' + "".join(pieces) + '"'


def json_value(value: object) -> str:
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json_string(value)
    raise TypeError(f"no JSON for {type(value).__name__}")


def json_object(values: dict[str, object], indent: int | None = None) -> str:
    """`json.dumps(values, indent=indent)` for a flat object of strings, numbers, booleans, None."""
    items = [f"{json_string(key)}: {json_value(value)}" for key, value in values.items()]
    if indent is None or not items:
        return "{" + ", ".join(items) + "}"
    pad = " " * indent
    return "{\n" + ",\n".join(pad + item for item in items) + "\n}"


def credential_process_json(credentials: Credentials) -> str:
    """What an SDK's `credential_process` expects (its version 1)."""
    return json_object(
        {
            "Version": 1,
            "AccessKeyId": credentials.access_key_id,
            "SecretAccessKey": credentials.secret_access_key,
            "SessionToken": credentials.session_token,
            "Expiration": credentials.expiration_text,
        }
    )


# --- status ----------------------------------------------------------------------------------


def _duration(seconds: int) -> str:
    hours, minutes = divmod(max(seconds, 0) // 60, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {seconds % 60:02d}s"


def status_text(report: dict[str, object]) -> str:
    """`stscreds status`: one `Label: value` line each."""
    expiration, seconds_left = report.get("expiration"), report.get("seconds_left")
    if not isinstance(seconds_left, int):
        profile = str(report.get("alias_of") or report["profile"])
        auth = "stscreds auth" if profile == "default" else f"stscreds auth --profile {profile}"
        state = {
            "role": "no credentials yet: the next read assumes the role",
            "sso": "no credentials yet: the next read gets them from IAM Identity Center",
            "static": "none that stscreds can read",
        }.get(str(report.get("key_kind")), f"no session: run `{auth}`")
    elif report.get("valid"):
        state = f"valid until {expiration} (in {_duration(seconds_left)})"
    elif seconds_left > 0:
        state = f"ends at {expiration} (in {_duration(seconds_left)}); the next read renews it"
    else:
        state = f"expired at {expiration} ({_duration(-seconds_left)} ago)"
    lines = [("Profile", report["profile"])]
    for label, key in (
        ("Alias of", "alias_of"),
        ("Role", "role_arn"),
        ("Source", "source_profile"),
        ("SSO", "sso_session"),
        ("Account", "sso_account_id"),
        ("Role name", "sso_role_name"),
        ("Keys", "keys"),
    ):
        if report.get(key):
            lines.append((label, report[key]))
    lines += [("Session", state), ("File", report["path"])]
    if report.get("user_arn"):
        lines.append(("User", report["user_arn"]))
    if report.get("access_key_id"):
        lines.append(("Access key", f"{report['access_key_id']} ({report.get('key_kind', 'session')})"))
    if report.get("long_term_access_key_id"):
        age = report.get("long_term_key_age_days")
        made = f", made {str(report['long_term_key_created'])[:10]} ({age} days ago)" if isinstance(age, int) else ""
        lines.append(("Long-term", f"{report['long_term_access_key_id']} in {report['key_store']}{made}"))
    return "".join(f"{label + ':':<12} {value}\n" for label, value in lines)


def status_json(report: dict[str, object]) -> str:
    """`stscreds status --json`."""
    return json_object({k: v for k, v in report.items() if k not in ("key_kind", "key_store")}, indent=2) + "\n"
