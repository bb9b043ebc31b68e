"""`stscreds login` and `stscreds logout`."""

from __future__ import annotations

from typing import Optional

import typer

from stscreds.cli.common import OptionalProfile, ProfileOption, app, run, say
from stscreds.commands import login as commands
from stscreds.errors import UsageError
from stscreds.prompts import TerminalUI


def _flag(profile: str) -> str:
    return "" if profile == "default" else f" --profile {profile}"


@app.command()
def login(
    profile: OptionalProfile = ProfileOption,
    remote: bool = typer.Option(
        False, "--remote", help="Sign in with a browser on another device: show the URL, then paste its code."
    ),
    region: Optional[str] = typer.Option(
        None, "--region", help="The region to sign in through [default: the profile's, else asked, else us-east-1]."
    ),
) -> None:
    """Sign in with your AWS console credentials, in the browser: no access key at all.

    As AWS CLI v2's `aws login`: the login goes where AWS CLI v2 and botocore keep theirs
    (~/.aws/login/cache), and `login_session` into the profile's section of ~/.aws/config, so it
    serves them too. Its credentials last 15 minutes and refresh by themselves until the console
    session ends. Needs the SignInLocalDevelopmentAccess policy (see README).

    Examples:
        stscreds login --profile me
        stscreds login --profile me --remote      # the browser is on another device
    """
    done = run(lambda: commands.login(profile, TerminalUI(), remote=remote, region=region))
    if done.replaced:
        say(f"Profile {done.profile!r} used the login session {done.replaced} before.")
    written = f"login_session{' and region' if done.region else ''} in {done.config_path}"
    say(f"Signed in as {done.session}; profile {done.profile!r} uses it ({written}).")
    say(
        f"Its credentials, valid until {done.expiration}, refresh by themselves until your console session ends: "
        f"AWS_PROFILE={done.profile} for AWS CLI v2 and boto3, or `stscreds env{_flag(done.profile)}`."
    )


@app.command()
def logout(
    login: bool = typer.Option(
        False, "--login", help="Forget the profile's AWS Sign-In login (stscreds login, aws login)."
    ),
    profile: OptionalProfile = ProfileOption,
) -> None:
    """Log out: with --login, forget a profile's AWS Sign-In login.

    Removes the token from ~/.aws/login/cache (as `aws logout` does; ~/.aws/config stays as it is)
    and the credentials stscreds cached from it. Credentials already handed out (env, exec, an
    SDK) work until they end: 15 minutes at most, an hour for a role's.

    Example: stscreds logout --login --profile me
    """

    def which() -> commands.LoggedOut:
        if not login:
            raise UsageError("say what to log out of: --login (the profile's AWS Sign-In login)")
        return commands.logout_login(profile)

    done = run(which)
    said = "Removed the login" if done.removed else "There was no cached login"
    cleared = f"; cleared the credentials stscreds kept for {', '.join(done.cleared)}" if done.cleared else ""
    say(f"{said} of {done.session} ({done.token_path}){cleared}.")
    say(
        "Credentials already handed out work until they end: 15 minutes at most, an hour for a role's. "
        f"Sign in again with `stscreds login{_flag(done.profile)}`."
    )
