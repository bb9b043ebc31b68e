"""`stscreds env --format` and `env --unset`: AWS CLI v2's export formats (env, env-no-export,
powershell, windows-cmd, process), dotenv and fish, and the lines that remove what `env` sets.

`aws configure export-credentials --format F` prints its lines with no quoting at all. Every
value AWS issues (key IDs, secrets and tokens in base64, an ISO 8601 instant, a region name) is
made of PLAIN characters only, and those are printed exactly as the CLI prints them. Any other
character would be expanded, or end the line, in the CLI's output: stscreds quotes such a value
in the shell's literal quotes instead (env, env-no-export, powershell, fish), or refuses it where
the format has no quoting that every reader honours (windows-cmd, dotenv).

Standard library only: the fast path answers these (see __main__.py).
"""

from __future__ import annotations

from stscreds.credentials import Credentials, json_object
from stscreds.outputs import HOOK_VARIABLES, REGION_VARIABLES, VARIABLES, quote

FORMATS = ("env", "env-no-export", "powershell", "windows-cmd", "process", "dotenv", "fish")
PLAIN = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+=:._-")
# AWS CLI v2's lines come first, in its order; then stscreds' own additions (see `export`).
CLI_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_CREDENTIAL_EXPIRATION")
ADDED_VARIABLES = ("AWS_SECURITY_TOKEN", *REGION_VARIABLES)
# The formats a shell runs, whose variables `--unset` can remove, and the syntax of each.
UNSET_SHELLS = {"env": "sh", "powershell": "powershell", "windows-cmd": "windows-cmd", "fish": "fish"}


def checked_format(form: str, unset: bool = False, shell: str | None = None) -> str:
    """`form`, when `env --format` prints it (and `--unset` removes what it sets)."""
    if form in FORMATS and (form in UNSET_SHELLS or not unset) and shell is None:
        return form
    from stscreds.errors import UsageError  # see errors.py: only failures need it

    if shell is not None:
        raise UsageError("--shell and --format both choose what env prints: give one of them")
    if form not in FORMATS:
        raise UsageError(f"unknown format {form!r}; choose one of: {', '.join(FORMATS)}")
    raise UsageError(f"--unset is for the formats a shell runs ({', '.join(UNSET_SHELLS)}); {form} sets none")


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
        if region:
            variables.update(dict.fromkeys(REGION_VARIABLES, region))
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


# --- `env --unset` --------------------------------------------------------------------------


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
