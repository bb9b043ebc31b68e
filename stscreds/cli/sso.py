"""`stscreds sso login | logout | discover`."""

from __future__ import annotations

from typing import Optional

import typer

from stscreds import ini_edit
from stscreds.cli.common import App, app, broker, print_out, run, say
from stscreds.commands import sso as commands
from stscreds.prompts import TerminalUI

sso_app = App(
    help=(
        "AWS IAM Identity Center (SSO): log in once, then use every account and role you are assigned.\n\n"
        "Examples:\n"
        "  stscreds sso login --sso-session corp\n"
        "  stscreds sso discover --write\n"
        "  stscreds read aws_access_key_id --profile dev-admin"
    ),
)
app.add_typer(sso_app, name="sso")
SsoProfileOption = typer.Option(None, "--profile", "-p", help="An SSO profile of the AWS config file.")
SsoSessionOption = typer.Option(None, "--sso-session", help="An [sso-session NAME] of the AWS config file.")


@sso_app.command("login")
def sso_login(
    profile: Optional[str] = SsoProfileOption,
    sso_session: Optional[str] = SsoSessionOption,
    no_browser: bool = typer.Option(False, "--no-browser", help="Show the URL; do not open a browser."),
) -> None:
    """Log in to IAM Identity Center (the device authorization flow).

    Shows a URL and a code on the terminal, and opens a browser when there is a display. The
    login goes where AWS CLI v2 and botocore keep theirs (~/.aws/sso/cache), so it serves them too.

    Examples:
        stscreds sso login --sso-session corp
        stscreds sso login --profile dev-admin --no-browser     # over SSH: open the URL elsewhere
    """
    ui = TerminalUI()
    session = run(lambda: commands.sso_session(profile, sso_session))
    run(lambda: commands.sso_login(session, ui, open_browser=not no_browser))


@sso_app.command("logout")
def sso_logout(sso_session: Optional[str] = SsoSessionOption, profile: Optional[str] = SsoProfileOption) -> None:
    """Remove the cached IAM Identity Center login, and the role credentials stscreds got with it.

    Example:
        stscreds sso logout --sso-session corp
    """
    session = run(lambda: commands.sso_session(profile, sso_session))
    removed, profiles_cleared = run(lambda: commands.sso_logout(session))
    said = "Removed the login" if removed else "There was no login"
    cleared = f"; cleared the credentials of {', '.join(profiles_cleared)}" if profiles_cleared else ""
    say(f"{said} for {session.label}{cleared}.")


@sso_app.command("discover")
def sso_discover(
    sso_session: Optional[str] = SsoSessionOption,
    profile: Optional[str] = SsoProfileOption,
    write: bool = typer.Option(False, "--write", help="Add the profiles to the AWS config file."),
    style: str = typer.Option(
        "sso", "--style", help="sso: native SSO profiles; process: credential_process profiles running stscreds."
    ),
    name: str = typer.Option(
        "{account_name}.{role_name}", "--name", help="Profile names: {account_name}, {account_id}, {role_name}."
    ),
) -> None:
    """List a profile for every account and role the login may use; with --write, add them.

    Prints the profiles on stdout. --write adds them to the AWS config file, every other byte of
    it unchanged; no profile is created under a name any profile has already.

    Examples:
        stscreds sso discover --sso-session corp
        stscreds sso discover --write --name '{account_name}-{role_name}'
    """
    session = run(lambda: commands.sso_session(profile, sso_session))
    found = run(lambda: commands.sso_discover(session, style, name, write, broker()))
    if write:
        say(f"Added {len(found.sections)} profiles to {found.path}.")
    else:
        print_out(ini_edit.render(found.sections))
    if found.skipped:
        say(f"Skipped {len(found.skipped)} that have a profile already: {', '.join(found.skipped)}")
    if found.renamed:
        say(f"Named {len(found.renamed)} otherwise, their names being taken: {', '.join(found.renamed)}")
