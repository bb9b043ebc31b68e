"""The lines that set environment variables in each shell `stscreds env` supports.

No imports: `eval "$(stscreds env)"` runs in every new shell, like `read`, and shares its
fast path.
"""

from __future__ import annotations

SHELLS = ("sh", "fish", "powershell")

# What `env` and `exec` set, from the managed keys of a session.
VARIABLES = (
    ("AWS_ACCESS_KEY_ID", "aws_access_key_id"),
    ("AWS_SECRET_ACCESS_KEY", "aws_secret_access_key"),
    ("AWS_SESSION_TOKEN", "aws_session_token"),
    # The AWS CLI v2 and several SDKs read it to know when to stop using the keys.
    ("AWS_CREDENTIAL_EXPIRATION", "x_security_token_expires"),
)


def environment(session: dict[str, str]) -> dict[str, str]:
    """The variables for a session's managed keys, in VARIABLES' order."""
    return {name: session[key] for name, key in VARIABLES if session.get(key)}


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


def script(session: dict[str, str], shell: str) -> str:
    """The whole output of `stscreds env --shell SHELL`, one assignment per line."""
    return "".join(assignment(name, value, shell) + "\n" for name, value in environment(session).items())
