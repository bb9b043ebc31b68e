"""`stscreds exec`."""

from __future__ import annotations

import os
import shutil
import sys

import typer

from stscreds import answers
from stscreds.cli.common import OptionalProfile, ProfileOption, app, broker, fail, run
from stscreds.commands.exec import exec_environment, run_with_server
from stscreds.errors import EXIT_CANNOT_RUN, EXIT_NOT_FOUND
from stscreds.prompts import controlling_terminal_ui

CommandArgument = typer.Argument(..., metavar="-- COMMAND [ARGS]...", help="What to run.")


@app.command("exec", context_settings={"allow_interspersed_args": False, "ignore_unknown_options": True})
def exec_(
    command: list[str] = CommandArgument,
    profile: OptionalProfile = ProfileOption,
    server: bool = typer.Option(
        False, "--server", help="Serve credentials from a local endpoint that renews them, instead of fixed keys."
    ),
) -> None:
    """Run a command with the credentials in its environment.

    AWS_PROFILE and AWS_DEFAULT_PROFILE are removed from it. The command's exit code is stscreds'
    exit code. Renews the credentials first when they are missing or expired. With --server, the
    command's SDKs get them from a credentials endpoint on 127.0.0.1 (the container-credentials
    protocol) and renew them by themselves: for commands that outlive a role's hour.
    """
    name = answers.profile_for("exec", profile)
    path = shutil.which(command[0])  # before any prompt: a typo should not cost an MFA code
    if path is None:
        fail(f"{command[0]}: command not found", EXIT_NOT_FOUND)
    if server:
        # The command owns stdin and stdout: renewals ask on the terminal itself.
        renewer = broker(controlling_terminal_ui())
        raise typer.Exit(run(lambda: run_with_server(path, command, name, renewer, os.environ)))
    environment = run(lambda: exec_environment(name, broker(), os.environ))
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            stream.flush()
    try:
        os.execve(path, command, environment)  # the command takes over this process: signals, exit code
    except OSError as error:
        fail(f"could not run {command[0]}: {error.strerror or error}", EXIT_CANNOT_RUN)
