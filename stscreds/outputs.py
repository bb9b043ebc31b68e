"""What stscreds prints, made from one `Credentials`: the variables of `env` and `exec`, shell
lines for `env --shell`, and the JSON of `credential-process`. (`env --format` and `--unset` are
in exports.py, `status`'s report in status.py, `list`'s in listing.py: every line here costs
each new shell, and only those commands need them.)

Standard library only: these run in every new shell and before every SDK call in a refresh
window (JSON through credentials.json_object, not `json`).
"""

from __future__ import annotations

from stscreds.credentials import Credentials, json_object

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
