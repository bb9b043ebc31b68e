"""`stscreds console`."""

from __future__ import annotations

from typing import Optional

import typer

from stscreds import answers, browser
from stscreds.cli.common import OptionalProfile, ProfileOption, app, broker, print_out, run, say
from stscreds.commands import console as commands


@app.command()
def console(
    profile: OptionalProfile = ProfileOption,
    print_link: bool = typer.Option(
        False, "--print", help="Print the sign-in link on stdout (and nothing else there) instead of opening it."
    ),
    destination: Optional[str] = typer.Option(
        None, "--destination", help="The console page to open [default: the profile's region's console home]."
    ),
    duration: Optional[str] = typer.Option(
        None,
        "--duration",
        help="How long the console must last at least (15m to 12h): older credentials are renewed first.",
    ),
) -> None:
    """Sign in to the AWS Management Console as the profile, in your browser.

    For a role, IAM Identity Center, alias or (a role session's) login profile: its credentials
    (renewed if need be) are traded at AWS's federation endpoint for a sign-in link, which opens
    in your browser when there is one (else it is printed). The link signs in for 15 minutes:
    treat it as a password. An MFA session profile, or an IAM user's login, cannot sign in to
    the console: use a role profile on it.

    Example: stscreds console --profile prod --destination https://console.aws.amazon.com/s3/
    """

    def link() -> commands.ConsoleLink:
        seconds = commands.parse_duration(duration) if duration is not None else None  # before anything
        return commands.console_link(answers.profile_for("console", profile), broker(), destination, seconds)

    found = run(link)
    if not print_link and browser.open_url(found.url):
        say(f"Opened the AWS console as profile {found.profile!r} in your browser, until {found.ends_text}.")
        return
    if not print_link:
        say("No browser to open the console in (no display): open this link within 15 minutes.")
    say(
        f"The link signs in to the console as profile {found.profile!r} (until {found.ends_text}); "
        "it works for 15 minutes: treat it as a password."
    )
    print_out(found.url + "\n")
