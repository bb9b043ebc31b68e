"""`stscreds status` (answered by the fast path too, while the credentials are valid)."""

from __future__ import annotations

import typer

from stscreds import answers
from stscreds.cli.common import OptionalProfile, ProfileOption, app, print_out, run
from stscreds.errors import EXIT_FAILURE
from stscreds.status import status_report


@app.command()
def status(
    profile: OptionalProfile = ProfileOption,
    as_json: bool = typer.Option(False, *answers.JSON.flags, help="Print the status as JSON."),
) -> None:
    """Show who the credentials are for, where they are kept and when they end.

    Exit 0 while they are valid, 1 when they have expired or are missing. No network, no prompt.

    Examples:
        stscreds status
        stscreds status --profile prod --json
    """
    report = run(lambda: status_report(answers.profile_for("status", profile)))
    answers.warn_if_shadowed()
    print_out(answers.status(report, as_json))
    if not report["valid"]:
        raise typer.Exit(EXIT_FAILURE)
