"""`stscreds exec`."""

from __future__ import annotations

import os
import sys
from typing import Optional

import typer

from stscreds import answers
from stscreds.cli.common import OptionalProfile, ProfileOption, app, broker, run, say
from stscreds.commands.exec import (
    become,
    command_environment,
    find_command,
    login_shell,
    nested_profile,
    run_with_server,
)
from stscreds.prompts import controlling_terminal_ui

CommandArgument = typer.Argument(
    None, metavar="[-- COMMAND [ARGS]...]", help="What to run (default: $SHELL).", show_default=False
)


@app.command("exec", context_settings={"allow_interspersed_args": False, "ignore_unknown_options": True})
def exec_(
    command: Optional[list[str]] = CommandArgument,
    profile: OptionalProfile = ProfileOption,
    server: bool = typer.Option(
        False, "--server", help="Serve credentials from a local endpoint that renews them, instead of fixed keys."
    ),
) -> None:
    """Run a command with the credentials in its environment.

    AWS_PROFILE and AWS_DEFAULT_PROFILE are removed from it; STSCREDS_PROFILE names the
    profile. The command's exit code is stscreds' exit code (126 when it cannot start, 127
    when it is not found). Renews the credentials first when they are missing or expired.
    Without a command, opens $SHELL. With --server, the command's SDKs get them from a
    credentials endpoint on 127.0.0.1 (the container-credentials protocol) and renew them by
    themselves: for commands that outlive a role's hour.

    Example: stscreds exec --profile prod -- terraform plan
    """
    name = answers.profile_for("exec", profile)
    argv = list(command or []) or [login_shell(os.environ)]
    path = run(lambda: find_command(argv[0], os.environ))  # before any prompt: a typo should not cost an MFA code
    inherited = nested_profile(name, profile, os.environ)
    if inherited is not None:
        say(
            f"stscreds: running {argv[0]} as {name!r} inside a shell of {inherited!r} (STSCREDS_PROFILE);"
            f" give --profile {inherited} to run it as {inherited!r}"
        )
    if server:
        # The command owns stdin and stdout: renewals ask on the terminal itself.
        renewer = broker(controlling_terminal_ui())
        raise typer.Exit(run(lambda: run_with_server(path, argv, name, renewer, os.environ)))
    environment = run(lambda: command_environment(name, broker(), os.environ))
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            stream.flush()
    run(lambda: become(path, argv, environment))  # the command takes over this process, or one line
