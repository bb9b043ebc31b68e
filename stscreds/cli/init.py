"""`stscreds init`."""

from __future__ import annotations

from typing import Optional

import typer

from stscreds import answers
from stscreds.cli.common import MfaCommandOption, OptionalProfile, ProfileOption, app, make_api, run, say
from stscreds.commands.init import init_profile
from stscreds.credentials import mask
from stscreds.prompts import TerminalUI


@app.command()
def init(
    profile: OptionalProfile = ProfileOption,
    mfa_command: Optional[str] = MfaCommandOption,
    keyring: bool = typer.Option(
        False, "--keyring", help="Keep the secret key in the OS keyring, not in ~/.stscreds/credentials."
    ),
) -> None:
    """Store your long-term access key pair in ~/.stscreds/credentials (checked with iam:GetUser).

    With --keyring the secret goes to the OS keyring (Secret Service, macOS Keychain, Windows
    Credential Locker) and the file holds only the key ID and where the secret is.
    """
    name = answers.profile_for("init", profile)
    result = run(lambda: init_profile(name, TerminalUI(), make_api, mfa_command=mfa_command, keyring=keyring))
    for variable in result.shadowing_variables:
        say(f"Warning: {variable} is set in your environment and takes precedence over credentials files.")
    if result.forgotten:
        say(f"These keys are another IAM user's: forgot {', '.join(result.forgotten)}.")
    say(f"Saved {mask(result.access_key_id)} (IAM user {result.user_name}) as [{name}] in {result.path}")
