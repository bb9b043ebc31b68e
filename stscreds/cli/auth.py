"""`stscreds auth`."""

from __future__ import annotations

from typing import Optional

import typer

from stscreds import answers, outputs
from stscreds.cli.common import MfaCommandOption, OptionalProfile, ProfileOption, app, broker, print_out, run, say
from stscreds.commands.auth import DEFAULT_DURATION, authenticate, parse_duration


@app.command()
def auth(
    profile: OptionalProfile = ProfileOption,
    duration: str = typer.Option(
        DEFAULT_DURATION, "--duration", "-d", help="Session length: 12h, 90m, 3600s (15m to 36h)."
    ),
    mfa_serial: Optional[str] = typer.Option(
        None, "--mfa-serial", help="ARN of the MFA device to use when you have several."
    ),
    mfa_code: Optional[str] = typer.Option(None, "--mfa-code", help="The 6-digit code, for scripts."),
    mfa_command: Optional[str] = MfaCommandOption,
    output_env: bool = typer.Option(False, "--output-env", help="Also print `export` lines for sh, as `env` does."),
) -> None:
    """Ask for an MFA code and write session credentials to ~/.aws/credentials.

    Writes the session into [PROFILE] of the shared credentials file, where every AWS tool finds
    it. Refuses, before asking anything, to write over a long-term pair there that is not the one
    stscreds keeps (`stscreds init --import` keeps it).

    Example:

        stscreds auth                   # each morning: one MFA code for the day

        stscreds auth --duration 1h --mfa-code 123456
    """
    answers.warn_if_shadowed()
    name = answers.profile_for("auth", profile)
    seconds = run(lambda: parse_duration(duration))
    renewer = run(lambda: broker(code=mfa_code, command=mfa_command))
    result = run(lambda: authenticate(name, seconds, mfa_serial, renewer))
    say(f"Session valid until {result.credentials.expiration_text}.")
    say(f"Wrote credentials to {result.path}")
    if output_env:
        print_out(outputs.shell_script(result.credentials, "sh", name))
