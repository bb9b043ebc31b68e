"""`stscreds retire-keys`."""

from __future__ import annotations

from typing import Optional

import typer

from stscreds.cli.common import OptionalProfile, ProfileOption, app, broker, run, say
from stscreds.commands.retire_keys import retire_keys as retire


@app.command("retire-keys")
def retire_keys(
    profile: OptionalProfile = ProfileOption,
    login_profile: Optional[str] = typer.Option(
        None,
        "--login-profile",
        help="The login profile (stscreds login) of the same IAM user [default: the one whose login_session it is].",
    ),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Move from the profile's long-term key to a login of the same IAM user, and retire the key.

    Checks that the login profile works as the same IAM user (sts:GetCallerIdentity), then, with the
    MFA session, deactivates the access key, checks the login again, deletes the key and removes it
    from the key store (or keyring). A login that stops working gets the key reactivated; an
    interrupted run names where it stopped, and running it again finishes it.

    Examples:
        stscreds retire-keys        # the key of profile default, for the login of its user
        stscreds retire-keys --profile work --login-profile me --yes
    """
    done = run(lambda: retire(profile, login_profile, broker(), yes))
    if done.already_deleted:
        say(f"IAM had no access key {done.key} any more; removed it from {done.key_store}.")
    else:
        say(f"Deactivated and deleted access key {done.key} of {done.user_arn}; removed it from {done.key_store}.")
    say(f"Use profile {done.login_profile!r}: it signs you in with no key (`stscreds login` when it asks).")
    if done.dependents:
        say(
            f"These profiles still get credentials through {done.profile!r}: {', '.join(done.dependents)}; "
            f"point their source_profile at {done.login_profile!r}."
        )
    if done.session_ends:
        say(f"The MFA session of {done.profile!r} works until {done.session_ends}; nothing renews it after that.")
