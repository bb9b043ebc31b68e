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
    import_keys: bool = typer.Option(
        False,
        "--import",
        help="Take the pair from [PROFILE] of ~/.aws/credentials, or from AWS_ACCESS_KEY_ID and "
        "AWS_SECRET_ACCESS_KEY, instead of asking for it.",
    ),
    force: bool = typer.Option(False, "--force", "-f", help="Replace a stored pair without asking."),
) -> None:
    """Store your long-term access key pair in ~/.stscreds/credentials (checked with iam:GetUser).

    With --keyring the secret goes to the OS keyring (Secret Service, macOS Keychain, Windows
    Credential Locker) and the file holds only the key ID and where the secret is. With --import
    the pair comes from where `aws configure` or your environment keep it (on a terminal, init
    offers that itself); the file stays as it is until `stscreds auth` turns it into a session.
    On a profile set up already, --mfa-command and --keyring alone change just that setting, and
    a new pair replaces the stored one only when you say so (a question, or --force).

    Example:

        stscreds init --import                          # the keys `aws configure` wrote

        stscreds init --mfa-command 'ykman oath accounts code --single aws'
    """
    name = answers.profile_for("init", profile)
    result = run(
        lambda: init_profile(
            name,
            TerminalUI(),
            make_api,
            mfa_command=mfa_command,
            keyring=keyring,
            import_keys=import_keys,
            force=force,
        )
    )
    if result.changed_settings:
        say(f"Profile {name} ({mask(result.access_key_id)}): {', '.join(result.changed_settings)}, in {result.path}")
        return
    for variable in result.shadowing_variables:
        say(f"Warning: {variable} is set in your environment and takes precedence over credentials files.")
    if result.forgotten:
        say(f"These keys are another IAM user's: forgot {', '.join(result.forgotten)}.")
    origin = f" from {result.imported_from}" if result.imported_from else ""
    say(f"Saved {mask(result.access_key_id)} (IAM user {result.user_name}){origin} as [{name}] in {result.path}")
    if result.imported_from and result.imported_from.startswith("["):
        auth = "stscreds auth" if name == "default" else f"stscreds auth --profile {name}"
        say(f"`{auth}` turns [{name}] into a session; the pair is kept here.")
