"""The command line: maps flags to the functions in commands.py, prints their results and
turns every failure into one line on stderr and a named exit code. Nothing else prints."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import sys
from collections.abc import Callable
from typing import Any, NoReturn, Optional, TypeVar

import typer

from stscreds import __version__, commands, ini, outputs
from stscreds.broker import Broker
from stscreds.credentials import INI_KEYS
from stscreds.errors import (
    EXIT_CANNOT_RUN,
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_NOT_FOUND,
    EXIT_USAGE,
    StscredsError,
    UsageError,
    mask,
    redact,
)
from stscreds.prompts import UI, TerminalUI, controlling_terminal_ui

app = typer.Typer(
    name="stscreds",
    help=(
        "Use MFA-authenticated AWS session credentials instead of long-term keys.\n\n"
        "Run `stscreds init` once, `stscreds auth` each day, and read single values with "
        "`stscreds read KEY` (for example in .bashrc)."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

T = TypeVar("T")

ProfileOption = typer.Option("default", "--profile", "-p", help="The profile to use.")


def _show_version(value: bool) -> None:
    if value:
        _print(f"stscreds {__version__}\n")
        raise typer.Exit()


@app.callback()
def options(
    debug: bool = typer.Option(
        False, "--debug", help="Log what stscreds and botocore do to stderr, with every secret masked."
    ),
    version: Optional[bool] = typer.Option(
        None, "--version", callback=_show_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    if debug:
        _log_to_stderr()


class _RedactingFormatter(logging.Formatter):
    """Formats, then masks: botocore's debug lines hold request headers and whole response
    bodies, GetSessionToken's secret and token among them."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def _log_to_stderr() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_RedactingFormatter("%(asctime)s %(name)s [%(levelname)s] %(message)s"))
    for name in ("stscreds", "botocore", "boto3", "urllib3"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.DEBUG)
        logger.addHandler(handler)


def _make_api(*args: Any, **kwargs: Any) -> Any:
    from stscreds.aws import AwsApi  # botocore is slow to import; only calls to AWS need it

    return AwsApi(*args, **kwargs)


_reported = False  # whether a command has said why it failed


def _fail(message: str, code: int) -> NoReturn:
    global _reported
    _reported = True
    try:
        typer.echo(f"stscreds: {message}", err=True)
    except (OSError, ValueError, AttributeError):
        pass  # stderr is gone too: the exit code says it
    raise typer.Exit(code)


def _run(action: Callable[[], T]) -> T:
    """Run a command's work; every failure becomes one line on stderr and an exit code.

    The only place errors are caught. Unexpected exceptions get their type and message but no
    traceback: tracebacks can carry argument values, and those may be secrets.
    """
    try:
        return action()
    except StscredsError as error:
        message, code = str(error), error.exit_code
    except KeyboardInterrupt:
        message, code = "interrupted; nothing was written", EXIT_INTERRUPTED
        if sys.stderr is not None and sys.stderr.isatty():  # ^C was echoed where the cursor was
            typer.echo("", err=True)
    except Terminated as signalled:
        message, code = f"stopped by {signalled.name}; nothing was written", 128 + signalled.number
    except Exception as error:  # a bug: still no traceback
        message, code = f"unexpected error ({type(error).__name__}: {redact(str(error))})", EXIT_FAILURE
    _fail(message, code)


def _print(text: str) -> None:
    """Print a command's answer on stdout, or fail in one line if it cannot be."""
    failure = outputs.write_stdout(text)
    if failure is not None:
        _fail(failure, EXIT_FAILURE)


def _broker(ui: UI | None = None, code: str | None = None, command: str | None = None) -> Broker:
    return commands.cli_broker(ui or TerminalUI(), _make_api, code, command)


MfaCommandOption = typer.Option(
    None,
    "--mfa-command",
    help="Command that prints an MFA code, e.g. 'ykman oath accounts code --single aws' (run without a shell).",
)


@app.command()
def init(
    profile: str = ProfileOption,
    mfa_command: Optional[str] = MfaCommandOption,
    keyring: bool = typer.Option(
        False, "--keyring", help="Keep the secret key in the OS keyring, not in ~/.stscreds/credentials."
    ),
) -> None:
    """Store your long-term access key pair in ~/.stscreds/credentials (checked with iam:GetUser).

    With --keyring the secret goes to the OS keyring (Secret Service, macOS Keychain, Windows
    Credential Locker) and the file holds only the key ID and where the secret is.
    """
    result = _run(
        lambda: commands.init_profile(profile, TerminalUI(), _make_api, mfa_command=mfa_command, keyring=keyring)
    )
    for name in result.shadowing_variables:
        typer.echo(f"Warning: {name} is set in your environment and takes precedence over credentials files.", err=True)
    typer.echo(
        f"Saved {mask(result.access_key_id)} (IAM user {result.user_name}) as [{profile}] in {result.path}",
        err=True,
    )


@app.command()
def auth(
    profile: str = ProfileOption,
    duration: str = typer.Option(
        commands.DEFAULT_DURATION, "--duration", "-d", help="Session length: 12h, 90m, 3600s (15m to 36h)."
    ),
    mfa_serial: Optional[str] = typer.Option(
        None, "--mfa-serial", help="ARN of the MFA device to use when you have several."
    ),
    mfa_code: Optional[str] = typer.Option(None, "--mfa-code", help="The 6-digit code, for scripts."),
    mfa_command: Optional[str] = MfaCommandOption,
    output_env: bool = typer.Option(False, "--output-env", help="Also print `export` lines for sh, as `env` does."),
) -> None:
    """Ask for an MFA code and write session credentials to ~/.aws/credentials."""
    seconds = _run(lambda: commands.parse_duration(duration))
    broker = _run(lambda: _broker(code=mfa_code, command=mfa_command))
    result = _run(lambda: commands.authenticate(profile, seconds, mfa_serial, broker))
    typer.echo(f"Session valid until {result.credentials.expiration_text}.", err=True)
    typer.echo(f"Wrote credentials to {result.path}", err=True)
    if output_env:
        _print(outputs.shell_script(result.credentials, "sh", profile))


@app.command()
def read(
    key: str = typer.Argument(..., help=f"One of: {', '.join(INI_KEYS)}."),
    profile: str = ProfileOption,
) -> None:
    """Print one value of the current credentials; renew them first if they have expired."""
    _print(_run(lambda: commands.read_value(key, profile, _broker())) + "\n")


@app.command()
def env(
    profile: str = ProfileOption,
    shell: str = typer.Option("sh", "--shell", "-s", help=f"One of: {', '.join(outputs.SHELLS)} (sh: bash, zsh)."),
) -> None:
    """Print lines that set the credentials' AWS_* variables: eval "$(stscreds env)".

    Sets AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN (and AWS_SECURITY_TOKEN, which
    botocore reads first) and AWS_CREDENTIAL_EXPIRATION, quoted for the shell, and STSCREDS_PROFILE
    and STSCREDS_RENEW_AT for a prompt hook that keeps them current. Renews them first when they
    are missing or expired.
    """

    def script() -> str:
        if shell not in outputs.SHELLS:
            raise UsageError(f"unknown shell {shell!r}; choose one of: {', '.join(outputs.SHELLS)}")
        return outputs.shell_script(_broker().get(profile), shell, profile)

    _print(_run(script))


CommandArgument = typer.Argument(..., metavar="-- COMMAND [ARGS]...", help="What to run.")


@app.command(
    "exec",
    context_settings={"allow_interspersed_args": False, "ignore_unknown_options": True},
)
def exec_(
    command: list[str] = CommandArgument,
    profile: str = ProfileOption,
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
    path = shutil.which(command[0])  # before any prompt: a typo should not cost an MFA code
    if path is None:
        _fail(f"{command[0]}: command not found", EXIT_NOT_FOUND)
    if server:
        # The command owns stdin and stdout: renewals ask on the terminal itself.
        broker = _broker(controlling_terminal_ui())
        raise typer.Exit(_run(lambda: commands.run_with_server(path, command, profile, broker, os.environ)))
    environment = _run(lambda: commands.exec_environment(profile, _broker(), os.environ))
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            stream.flush()
    try:
        os.execve(path, command, environment)  # the command takes over this process: signals, exit code
    except OSError as error:
        _fail(f"could not run {command[0]}: {error.strerror or error}", EXIT_CANNOT_RUN)


@app.command("credential-process")
def credential_process(profile: str = ProfileOption) -> None:
    """Print credentials as JSON for an SDK's credential_process setting.

    With `credential_process = stscreds credential-process` in ~/.aws/config, every AWS SDK renews
    through stscreds. When it must renew, it asks for the MFA code on the terminal (/dev/tty).
    """
    broker = _broker(controlling_terminal_ui())
    credentials = _run(lambda: commands.credential_process_credentials(profile, broker))
    _print(outputs.credential_process_json(credentials) + "\n")


RoleProfilesArgument = typer.Argument(None, metavar="[PROFILE]...", help="Role profiles to renew.")


@app.command()
def assume(
    names: Optional[list[str]] = RoleProfilesArgument,
    every_role: bool = typer.Option(
        False, "--all", help="Every role profile of the AWS config file whose source_profile chain ends at stscreds."
    ),
    as_json: bool = typer.Option(
        False, "--json", help="Also print {profile: {AccessKeyId, SecretAccessKey, SessionToken, Expiration}}."
    ),
    parallel: int = typer.Option(32, "--parallel", help="How many roles to assume at once."),
) -> None:
    """Renew role profiles now, in parallel, with at most one MFA prompt.

    One line per profile on stderr: its role and when its credentials end, or why it failed.
    Exit 1 when any failed.
    """
    results = _run(lambda: commands.assume(list(names or []), every_role, _broker(), parallel))
    width = max(len(item.profile) for item in results)
    failed = False
    for item in results:
        if isinstance(item.result, StscredsError):
            failed = True
            line = f"failed: {item.result}"
        else:
            line = f"{item.role_arn or 'MFA session'} until {item.result.expiration_text}"
        typer.echo(f"{item.profile:<{width}}  {line}", err=True)
    if as_json:
        import json

        assumed = {
            item.profile: json.loads(outputs.credential_process_json(item.result))
            for item in results
            if not isinstance(item.result, StscredsError)
        }
        for values in assumed.values():
            del values["Version"]
        _print(json.dumps(assumed, indent=2) + "\n")
    if failed:
        raise typer.Exit(EXIT_FAILURE)


@app.command()
def status(
    profile: str = ProfileOption,
    as_json: bool = typer.Option(False, "--json", help="Print the status as JSON."),
) -> None:
    """Show who the credentials are for, where they are kept and when they end.

    Exit 0 while they are valid, 1 when they have expired or are missing. No network, no prompt.
    """
    from stscreds.status import status_report

    report = _run(lambda: status_report(profile))
    _print(outputs.status_json(report) if as_json else outputs.status_text(report))
    if not report["valid"]:
        raise typer.Exit(EXIT_FAILURE)


sso_app = typer.Typer(
    help="AWS IAM Identity Center (SSO): log in once, then use every account and role you are assigned.",
    no_args_is_help=True,
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
    """
    ui = TerminalUI()
    session = _run(lambda: commands.sso_session(profile, sso_session))
    _run(lambda: commands.sso_login(session, ui, open_browser=not no_browser))


@sso_app.command("logout")
def sso_logout(sso_session: Optional[str] = SsoSessionOption, profile: Optional[str] = SsoProfileOption) -> None:
    """Remove the cached IAM Identity Center login, and the role credentials stscreds got with it."""
    session = _run(lambda: commands.sso_session(profile, sso_session))
    removed, profiles_cleared = _run(lambda: commands.sso_logout(session))
    said = "Removed the login" if removed else "There was no login"
    cleared = f"; cleared the credentials of {', '.join(profiles_cleared)}" if profiles_cleared else ""
    typer.echo(f"{said} for {session.label}{cleared}.", err=True)


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
    it unchanged; an existing profile is never overwritten (the skipped ones are named).
    """
    session = _run(lambda: commands.sso_session(profile, sso_session))
    found = _run(lambda: commands.sso_discover(session, style, name, write, _broker()))
    if write:
        typer.echo(f"Added {len(found.sections)} profiles to {found.path}.", err=True)
    else:
        _print(ini.render(found.sections))
    if found.skipped:
        typer.echo(f"Skipped {len(found.skipped)} that exist already: {', '.join(found.skipped)}", err=True)


@app.command()
def rotate(
    profile: str = ProfileOption,
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Replace your long-term access key with a new one, then delete the old one.

    Uses the MFA session (renewed first if need be): iam:CreateAccessKey, then iam:GetUser with the
    new pair until IAM accepts it, then stores it and deletes the old key. Never leaves a key behind.
    """
    result = _run(lambda: commands.rotate(profile, _broker(), yes))
    typer.echo(
        f"Replaced {result.old_key} with {result.new_key} for IAM user {result.user} in {result.path}.", err=True
    )
    if result.old_key_deleted is not None:
        _fail(f"the new key is stored, but the old key {result.old_key} was not deleted: {result.old_key_deleted}", 1)
    typer.echo(f"Deleted the old key {result.old_key}.", err=True)
    if not result.session_works:
        typer.echo("The current session no longer works: run `stscreds auth`.", err=True)


@app.command()
def whoami(profile: str = ProfileOption) -> None:
    """Show the IAM user and MFA devices of the stored long-term keys.

    Calls iam:GetUser and iam:ListMFADevices with them.
    """
    identity = _run(lambda: commands.whoami(profile, _make_api))
    lines = [
        f"User:       {identity.user_name or '(root)'}",
        f"ARN:        {identity.arn}",
        f"Access key: {identity.access_key_id} (long-term)",
    ]
    lines += [f"MFA device: {serial}" for serial in identity.mfa_serials or ["(none: assign one in the IAM console)"]]
    _print("".join(line + "\n" for line in lines))


# --- the edge: signals, usage errors, exit codes ------------------------------------------------


class Terminated(BaseException):
    """SIGTERM or SIGHUP (a closed terminal), raised where the program is, so that a write
    under way removes its temp file, as for Ctrl-C."""

    def __init__(self, number: int) -> None:
        super().__init__(number)
        self.number = number
        self.name = signal.Signals(number).name


def _raise_terminated(number: int, frame: object) -> None:
    raise Terminated(number)


# click's exceptions, from the click typer uses: since typer 0.22, a copy of its own.
_click = sys.modules[typer.BadParameter.__module__]


def _usage_line(error: Any) -> str:
    """click's usage error in one line, its "Did you mean" suggestion kept."""
    message = " ".join(error.format_message().split())
    command = error.ctx.command_path if error.ctx is not None else "stscreds"
    return f"{message} (see `{command} --help`)"


def main() -> None:
    for number in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(number) != signal.SIG_IGN:  # nohup's choice stays: it ignores SIGHUP
            signal.signal(number, _raise_terminated)
    try:
        code = app(prog_name="stscreds", standalone_mode=False)
    except _click.UsageError as error:
        _exit(f"stscreds: {_usage_line(error)}", EXIT_USAGE)
    except _click.ClickException as error:
        _exit(f"stscreds: {' '.join(error.format_message().split())}", error.exit_code)
    except (KeyboardInterrupt, typer.Abort):  # outside a command: while typer parses, say
        _exit("stscreds: interrupted", EXIT_INTERRUPTED)
    except Terminated as signalled:
        _exit(f"stscreds: stopped by {signalled.name}", 128 + signalled.number)
    except OSError as error:  # only printing is left outside _run: --help to a full disk, say
        outputs.abandon_stdout()
        _exit(f"stscreds: could not write to stdout: {error.strerror or error}", EXIT_FAILURE)
    if code == EXIT_INTERRUPTED and not _reported:  # typer turned a Ctrl-C into a silent 130
        _exit("stscreds: interrupted", EXIT_INTERRUPTED)
    sys.exit(code if isinstance(code, int) else 0)


def _exit(line: str, code: int) -> NoReturn:
    try:
        sys.stderr.write(line + "\n")
    except (AttributeError, OSError, ValueError):
        pass
    sys.exit(code)
