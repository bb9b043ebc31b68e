"""`stscreds list` (answered by the fast path too: it reads the stores only)."""

from __future__ import annotations

import typer

from stscreds import answers
from stscreds.cli.common import app, print_out, run, say
from stscreds.listing import list_report


@app.command("list")
def list_profiles(
    as_json: bool = typer.Option(False, *answers.JSON.flags, help="Print the list as JSON (see README)."),
) -> None:
    """List every profile stscreds can serve: its kind, what it rests on, and what is cached.

    One line each: the name; the kind (session, role, sso, static or alias); what its credentials
    come from (a role's ARN and source chain, an IAM Identity Center account, role and
    sso-session); and its cached credentials: until when, expired, or none. A profile that does
    not resolve says why. No network, no prompt.

    Examples:
        stscreds list
        stscreds list --json | jq -r '.profiles[] | select(.kind == "role") | .profile'
    """
    rows = run(list_report)
    if not rows and not as_json:
        say("No profiles yet: run `stscreds init` (or `stscreds sso discover --write`).")
        return
    print_out(answers.list_output(rows, as_json))
