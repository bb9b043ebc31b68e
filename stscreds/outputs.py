"""What stscreds prints, made from one `Credentials` (or a status report): shell lines for
`env` (its own `--shell` lines, and `--format`: AWS CLI v2's export formats, dotenv, fish), the
JSON of `credential-process`, `status` and `list` as text or JSON.

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
    return {**dict(zip(VARIABLES, values)), **dict.fromkeys(REGION_VARIABLES if region else (), region or "")}


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


def removal(name: str, shell: str) -> str:
    """The line of `shell` that removes the variable `name` (no error when it is not set)."""
    if shell == "fish":
        return f"set -e {name}"
    if shell == "powershell":  # $null removes it (PowerShell 7.5 keeps '' as a value)
        return f"$Env:{name} = $null"
    return f"unset {name}"


def shell_unset(shell: str) -> str:
    """`stscreds env --unset --shell SHELL`: the lines that remove every variable `env` sets."""
    names = (*VARIABLES, *REGION_VARIABLES, *HOOK_VARIABLES)
    return "".join(removal(name, shell) + "\n" for name in names)


# --- `env --format`: AWS CLI v2's export formats, and dotenv ----------------------------------
#
# `aws configure export-credentials --format F` prints these lines with no quoting at all. Every
# value AWS issues (key IDs, secrets and tokens in base64, an ISO 8601 instant, a region name)
# is made of PLAIN characters only, and those are printed exactly as the CLI prints them. Any
# other character would be expanded, or end the line, in the CLI's output: stscreds quotes such
# a value in the shell's literal quotes instead (env, env-no-export, powershell, fish), or
# refuses it where the format has no quoting that every reader honours (windows-cmd, dotenv).

PLAIN = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+=:._-")
# AWS CLI v2's lines come first, in its order; then stscreds' own additions (see `export`).
CLI_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_CREDENTIAL_EXPIRATION")
ADDED_VARIABLES = ("AWS_SECURITY_TOKEN", *REGION_VARIABLES)
# The formats a shell runs, whose variables `--unset` can remove, and the shell whose syntax that is.
UNSET_SHELLS = {"env": "sh", "powershell": "powershell", "windows-cmd": "windows-cmd", "fish": "fish"}


def plain(value: str) -> bool:
    return all(char in PLAIN for char in value)


def iso_expiration(seconds: float) -> str:
    """The instant as AWS CLI v2 prints it: `datetime.isoformat()` of botocore's UTC expiry,
    2036-11-24T07:12:00+00:00 (stscreds keeps instants to the second, as STS gives them)."""
    import time

    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(seconds))


def cli_variables(
    access_key_id: str, secret_access_key: str, session_token: str | None, expiration: str | None
) -> dict[str, str]:
    """The variables AWS CLI v2 exports, in its order: the token and the expiry only when
    there are some (`expiration` as the CLI prints it)."""
    values = {"AWS_ACCESS_KEY_ID": access_key_id, "AWS_SECRET_ACCESS_KEY": secret_access_key}
    if session_token is not None:
        values["AWS_SESSION_TOKEN"] = session_token
    if expiration is not None:
        values["AWS_CREDENTIAL_EXPIRATION"] = expiration
    return values


def _refused(name: str, form: str) -> Exception:
    from stscreds.errors import StscredsError  # see errors.py: only failures need it

    return StscredsError(
        f"the value of {name} has characters that --format {form} cannot carry unquoted (AWS's own never do); "
        "use --format env or powershell, which quote it"
    )


def export_line(form: str, name: str, value: str) -> str:
    """One variable in the export format `form`: the CLI's line for a PLAIN value."""
    if (form == "windows-cmd" and not (value and plain(value))) or (form == "dotenv" and not plain(value)):
        raise _refused(name, form)  # cmd and docker's --env-file take the rest of the line as it is ("" unsets in cmd)
    if form == "env":
        return f"export {name}={value if plain(value) else quote(value, 'sh')}"
    if form == "env-no-export":
        return f"{name}={value if plain(value) else quote(value, 'sh')}"
    if form == "dotenv":
        return f"{name}={value}"
    if form == "powershell":  # the CLI's double quotes would expand $ and `: single quotes otherwise
        return f'$Env:{name}="{value}"' if plain(value) else f"$Env:{name}={quote(value, 'powershell')}"
    if form == "windows-cmd":
        return f"set {name}={value}"
    if form == "fish":
        return f'set -gx {name} "{value}"' if plain(value) else f"set -gx {name} {quote(value, 'fish')}"
    raise ValueError(f"no export format {form!r}")


def export_lines(form: str, variables: dict[str, str]) -> str:
    """The lines of `form` that set `variables`, in their order; `process`: the JSON the CLI
    prints (indented, unlike `credential-process`'s one line)."""
    if form == "process":
        names = {
            "AWS_ACCESS_KEY_ID": "AccessKeyId",
            "AWS_SECRET_ACCESS_KEY": "SecretAccessKey",
            "AWS_SESSION_TOKEN": "SessionToken",
            "AWS_CREDENTIAL_EXPIRATION": "Expiration",
        }
        document: dict[str, object] = {"Version": 1}
        document.update((names[name], value) for name, value in variables.items() if name in names)
        return json_object(document, indent=2) + "\n"
    return "".join(export_line(form, name, value) + "\n" for name, value in variables.items())


def export(credentials: Credentials, form: str, region: str | None = None) -> str:
    """`stscreds env --format FORM`: AWS CLI v2's lines for these credentials, byte for byte,
    then what stscreds adds: AWS_SECURITY_TOKEN (botocore reads it before AWS_SESSION_TOKEN,
    so a stale one must not stay) and the profile's region. `process` is the CLI's JSON alone:
    an SDK reading it takes the region from its profile."""
    variables = cli_variables(
        credentials.access_key_id,
        credentials.secret_access_key,
        credentials.session_token,
        iso_expiration(credentials.expires_at),
    )
    if form != "process":
        variables["AWS_SECURITY_TOKEN"] = credentials.session_token
        variables.update(dict.fromkeys(REGION_VARIABLES if region else (), region or ""))
    return export_lines(form, variables)


def export_unset(form: str) -> str:
    """`stscreds env --unset --format FORM`: the lines that remove what `--format FORM` sets."""
    shell = UNSET_SHELLS[form]
    names = (*CLI_VARIABLES, *ADDED_VARIABLES)
    if shell == "windows-cmd":
        return "".join(f"set {name}=\n" for name in names)
    if shell == "powershell":
        return "".join(f"$Env:{name}=$null\n" for name in names)
    return "".join(removal(name, shell) + "\n" for name in names)


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


def json_value(value: object, indent: int | None = None, level: int = 0) -> str:
    """`json.dumps(value, indent=indent)` for strings, numbers, booleans, None, and lists and
    dicts (with string keys) of those."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json_string(value)
    if isinstance(value, (list, tuple)):
        items = [json_value(item, indent, level + 1) for item in value]
        return _container("[", items, "]", indent, level)
    if isinstance(value, dict):
        items = [f"{json_string(key)}: {json_value(item, indent, level + 1)}" for key, item in value.items()]
        return _container("{", items, "}", indent, level)
    raise TypeError(f"no JSON for {type(value).__name__}")


def _container(opening: str, items: list[str], closing: str, indent: int | None, level: int) -> str:
    if indent is None or not items:
        return opening + ", ".join(items) + closing
    inner, outer = " " * (indent * (level + 1)), " " * (indent * level)
    return f"{opening}\n{inner}" + f",\n{inner}".join(items) + f"\n{outer}{closing}"


def json_object(values: dict[str, object], indent: int | None = None) -> str:
    """`json.dumps(values, indent=indent)`."""
    return json_value(values, indent)


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


# --- list ------------------------------------------------------------------------------------


def _rests_on(row: dict[str, object]) -> str:
    """What a `list` row's credentials come from, in words."""
    chain = row.get("chain")
    chain = [str(name) for name in chain] if isinstance(chain, list) else []
    kind = _target_kind(row) if row["kind"] == "alias" else row["kind"]
    if kind == "role":
        where = f"{row['role_arn']} via {' -> '.join(chain[1:])}"
    elif kind == "sso":
        where = f"account {row['sso_account_id']}, role {row['sso_role_name']}, sso-session {row['sso_session']}"
    elif kind == "static":
        where = f"keys of its own ({row['keys']})"
    elif row.get("long_term_access_key_id"):
        where = f"stscreds key {row['long_term_access_key_id']}"
    else:
        where = "a session of its own"
    return f"alias of {row['alias_of']}: {where}" if row["kind"] == "alias" else where


def _target_kind(row: dict[str, object]) -> str:
    """The kind of what an alias stands for, from what its row shows."""
    if row.get("role_arn"):
        return "role"
    if row.get("sso_account_id") or row.get("sso_role_name"):
        return "sso"
    return "static" if row.get("keys") else "session"


def list_text(rows: list[dict[str, object]]) -> str:
    """`stscreds list`: a header, then one line per profile: its name, kind, what it rests
    on, and its cached credentials (until when, expired or none); or why it does not resolve."""
    table = [("PROFILE", "KIND", "FROM", "CREDENTIALS")]
    for row in rows:
        if row.get("error"):
            table.append((str(row["profile"]), "-", str(row["error"]), ""))
            continue
        state = str(row["credentials"])
        cached = f"until {row['expiration']}" if state == "valid" else state
        table.append((str(row["profile"]), str(row["kind"]), _rests_on(row), cached))
    widths = [max(len(line[column]) for line in table if line[3] or column < 2) for column in range(3)]
    lines = []
    for line in table:
        if not line[3]:  # an error: its reason takes the rest of the line
            lines.append(f"{line[0]:<{widths[0]}}  {line[1]:<{widths[1]}}  {line[2]}")
        else:
            lines.append(f"{line[0]:<{widths[0]}}  {line[1]:<{widths[1]}}  {line[2]:<{widths[2]}}  {line[3]}")
    return "".join(line + "\n" for line in lines)


def list_json(rows: list[dict[str, object]]) -> str:
    """`stscreds list --json`: {"profiles": [row, ...]}, each row with every key of
    status.LIST_KEYS, in that order."""
    return json_object({"profiles": rows}, indent=2) + "\n"
