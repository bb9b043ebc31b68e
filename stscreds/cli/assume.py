"""`stscreds assume`."""

from __future__ import annotations

from typing import Optional

import typer

from stscreds import outputs
from stscreds.cli.common import app, broker, print_out, run, say
from stscreds.commands.assume import assume as assume_roles
from stscreds.errors import EXIT_FAILURE, StscredsError

RoleProfilesArgument = typer.Argument(None, metavar="[PROFILE]...", help="Role profiles to renew.")


@app.command()
def assume(
    names: Optional[list[str]] = RoleProfilesArgument,
    every_role: bool = typer.Option(
        False, "--all", help="Every role profile of the AWS config whose source_profile chain stscreds can follow."
    ),
    as_json: bool = typer.Option(
        False, "--json", help="Also print {profile: {AccessKeyId, SecretAccessKey, SessionToken, Expiration}}."
    ),
    parallel: int = typer.Option(32, "--parallel", metavar="N", help="How many roles to assume at once."),
) -> None:
    """Renew role profiles now, in parallel, with at most one MFA prompt.

    One line per profile on stderr: its role and when its credentials end, or why it failed.
    Exit 1 when any failed.

    Examples:
        stscreds assume prod dev
        stscreds assume --all --parallel 8
    """
    results = run(lambda: assume_roles(list(names or []), every_role, broker(), parallel))
    width = max(len(item.profile) for item in results)
    failed = False
    for item in results:
        if isinstance(item.result, StscredsError):
            failed = True
            line = f"failed: {item.result}"
        else:
            line = f"{item.role_arn or 'MFA session'} until {item.result.expiration_text}"
        say(f"{item.profile:<{width}}  {line}")
    if as_json:
        import json

        assumed = {
            item.profile: json.loads(outputs.credential_process_json(item.result))
            for item in results
            if not isinstance(item.result, StscredsError)
        }
        for values in assumed.values():
            del values["Version"]
        print_out(json.dumps(assumed, indent=2) + "\n")
    if failed:
        raise typer.Exit(EXIT_FAILURE)
