"""What every command of the CLI shares: the typer app, the options several commands take,
printing an answer, and the one place where a failure becomes a line on stderr and an exit
code (`failure`). Nothing else in cli/ prints an error."""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Callable
from typing import Any, NoReturn, Optional, TypeVar

import typer
import typer.core

from stscreds import answers, atomic
from stscreds.broker import Broker
from stscreds.commands import cli_broker
from stscreds.errors import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_USAGE, StscredsError, redact
from stscreds.prompts import UI, TerminalUI

T = TypeVar("T")
Function = TypeVar("Function", bound=Callable[..., Any])

# --- help as people read it ----------------------------------------------------------------------
#
# typer's own help changes with each release (0.28 wrote `{key}` for an argument, 0.29 `<bool>`
# after every flag and `{-- COMMAND [ARGS]...}...`; rich markup swallows `[default: ...]`), so
# stscreds renders its help itself, from click's parameter attributes and click's plain
# formatter: the same text under every typer the project allows (tests/test_polish.py holds it).
# A command's docstring may end with an "Example:" (or "Examples:") paragraph: its lines are
# shown as written, under the options.

EXAMPLE_HEADINGS = ("Example:", "Examples:")


def split_help(text: str) -> tuple[str, str, list[str]]:
    """A command's help: its description, and the heading and lines of its example paragraph: a
    paragraph that starts with "Example:" or "Examples:", and every line after that word (on
    its line, and below it, as written)."""
    import textwrap

    lines = text.splitlines()
    for number, line in enumerate(lines):
        heading, _, rest = line.strip().partition(" ")
        if heading in EXAMPLE_HEADINGS and (number == 0 or not lines[number - 1].strip()):
            below = textwrap.dedent("\n".join(lines[number + 1 :])).strip("\n").splitlines()
            example = [row.rstrip() for row in ([rest.strip()] if rest.strip() else []) + below]
            return "\n".join(lines[:number]).strip(), heading.rstrip(":"), example
    return text.strip(), "", []


def _by_prefix(name: str) -> int:
    return len(name) - len(name.lstrip("-/"))  # -p before --profile, as click orders them


def _visible(command: Any, kind: str, ctx: Any = None) -> list[Any]:
    """The command's arguments or options that help shows (with ctx: --help too)."""
    params = command.params if ctx is None else command.get_params(ctx)
    return [p for p in params if p.param_type_name == kind and not getattr(p, "hidden", False)]


def _argument_name(argument: Any) -> str:
    return str(argument.metavar or argument.name.upper())


def usage_pieces(command: Any, ctx: Any) -> list[str]:
    """What follows the command's name in its usage line: `[OPTIONS] KEY`, `[OPTIONS] [PROFILE]...`."""
    pieces = ["[OPTIONS]"] if _visible(command, "option", ctx) else []
    for argument in _visible(command, "argument"):
        name = _argument_name(argument)
        if argument.metavar is None:
            name = name if argument.required else f"[{name}]"
            name += "..." if argument.nargs != 1 else ""
        pieces.append(name)
    return pieces


def _option_row(option: Any) -> tuple[str, str]:
    names = ", ".join(sorted(option.opts, key=_by_prefix))
    if option.secondary_opts:
        names += " / " + ", ".join(sorted(option.secondary_opts, key=_by_prefix))
    flag = option.is_flag or option.count
    if not flag:
        names += " " + str(option.metavar or option.name.upper())
    text = option.help or ""
    shown = option.show_default
    if isinstance(shown, str) and shown:
        text += f"  [default: {shown}]"
    elif shown and not flag and option.default not in (None, "", (), []) and not callable(option.default):
        text += f"  [default: {option.default}]"
    return names, text


def render_help(command: Any, ctx: Any, formatter: Any) -> None:
    """Usage, description, arguments, options, subcommands and example of `command`, in
    click's plain layout."""
    description, heading, example = split_help(command.help or "")
    formatter.write_usage(ctx.command_path, " ".join(command.collect_usage_pieces(ctx)))
    if description:
        formatter.write_paragraph()
        with formatter.indentation():
            formatter.write_text(description)
    arguments = [(_argument_name(a), getattr(a, "help", None) or "") for a in _visible(command, "argument")]
    if any(text for _, text in arguments):
        with formatter.section("Arguments"):
            formatter.write_dl(arguments)
    options = [_option_row(option) for option in _visible(command, "option", ctx)]
    if options:
        with formatter.section("Options"):
            formatter.write_dl(options)
    if hasattr(command, "list_commands"):
        found = [(name, command.get_command(ctx, name)) for name in command.list_commands(ctx)]
        listed = [(name, sub) for name, sub in found if sub is not None and not sub.hidden]
        if listed:
            with formatter.section("Commands"):  # each one's first sentence, whole
                formatter.write_dl([(name, sub.get_short_help_str(limit=1000)) for name, sub in listed])
    if example:
        with formatter.section(heading):
            for line in example:
                formatter.write(f"{'':>{formatter.current_indent}}{line}\n" if line else "\n")


class HelpCommand(typer.core.TyperCommand):
    """A command whose help is render_help's."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        render_help(self, ctx, formatter)

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        return usage_pieces(self, ctx)


class HelpGroup(typer.core.TyperGroup):
    """A group of commands (stscreds, stscreds sso) whose help is render_help's. Alone, without
    a command, it shows its help on stderr and exits 2, under every click: click 8.1 printed it
    on stdout with 0, and later ones add an error line that says nothing."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        render_help(self, ctx, formatter)

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        return [*usage_pieces(self, ctx), str(getattr(self, "subcommand_metavar", None) or "COMMAND [ARGS]...")]

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if not args and self.no_args_is_help and not ctx.resilient_parsing:
            typer.echo(ctx.get_help(), err=True)
            ctx.exit(EXIT_USAGE)
        return list(super().parse_args(ctx, args))


class App(typer.Typer):
    """typer.Typer, with stscreds' help (HelpGroup, HelpCommand) for every command added to it."""

    def __init__(self, **settings: Any) -> None:
        super().__init__(cls=HelpGroup, no_args_is_help=True, pretty_exceptions_enable=False, **settings)

    def command(self, name: Optional[str] = None, **settings: Any) -> Callable[[Function], Function]:
        settings.setdefault("cls", HelpCommand)
        return super().command(name, **settings)


app = App(
    name="stscreds",
    help=(
        "Use MFA-authenticated AWS session credentials instead of long-term keys.\n\n"
        "Run `stscreds init` once, `stscreds auth` each day, and read single values with "
        "`stscreds read KEY` (for example in .bashrc).\n\n"
        "Examples:\n"
        "  stscreds init                      # once: stores your long-term key pair\n"
        "  stscreds auth                      # each morning: an MFA code, a session\n"
        "  stscreds read aws_session_token    # one value, renewed when it has expired\n"
        "  stscreds COMMAND --help            # each command's options and examples"
    ),
    context_settings={"help_option_names": ["-h", "--help"]},
)


def complete_profiles(incomplete: str) -> list[str]:
    """Shell completion of --profile: every profile name the files define (resolve's list, so
    roles, IAM Identity Center profiles and aliases too). Nothing when they cannot be read: a
    completion must never print an error into the person's command line."""
    try:
        from stscreds.config import load_config
        from stscreds.resolve import known_profiles

        return [name for name in known_profiles(load_config()) if name.startswith(incomplete)]
    except Exception:
        return []


def complete_keys(incomplete: str) -> list[str]:
    """Shell completion of `read`'s KEY."""
    from stscreds.credentials import INI_KEYS

    return [key for key in INI_KEYS if key.startswith(incomplete)]


def profile_option() -> Any:
    """--profile/-p as answers.PROFILE describes it, completing profile names; absent, the
    command picks the profile as botocore does (answers.profile_for)."""
    return typer.Option(
        None,
        *answers.PROFILE.flags,
        help=answers.PROFILE.help,
        show_default=False,
        autocompletion=complete_profiles,
    )


ProfileOption = profile_option()
OptionalProfile = Optional[str]

MfaCommandOption = typer.Option(
    None,
    "--mfa-command",
    help="Command that prints an MFA code, e.g. 'ykman oath accounts code --single aws' (run without a shell).",
)


def make_api(*args: Any, **kwargs: Any) -> Any:
    from stscreds.aws import AwsApi  # botocore is slow to import; only calls to AWS need it

    return AwsApi(*args, **kwargs)


def broker(ui: UI | None = None, code: str | None = None, command: str | None = None) -> Broker:
    return cli_broker(ui or TerminalUI(), make_api, code, command)


# --- failures: one line and an exit code ------------------------------------------------------


class Terminated(BaseException):
    """SIGTERM or SIGHUP (a closed terminal), raised where the program is, so that a write
    under way removes its temp file, as for Ctrl-C."""

    def __init__(self, number: int) -> None:
        super().__init__(number)
        self.number = number
        self.name = signal.Signals(number).name


# click's exceptions, from the click typer uses: since typer 0.22, a copy of its own.
click = sys.modules[typer.BadParameter.__module__]


def _nothing_written() -> str:
    """What an interruption left: said only when true (atomic.changed)."""
    if not atomic.changed:
        return "; nothing was written"
    return f"; {', '.join(dict.fromkeys(atomic.changed))} had already been written"


def failure(error: BaseException) -> tuple[str, int]:
    """The one line (without "stscreds: ") and the exit code that `error` ends the program
    with. The only place that decides them, for errors inside a command and around it.
    Unexpected exceptions get their type and message but no traceback: tracebacks can carry
    argument values, and those may be secrets."""
    if isinstance(error, StscredsError):
        return str(error), error.exit_code
    if isinstance(error, (KeyboardInterrupt, typer.Abort)):
        return "interrupted" + _nothing_written(), EXIT_INTERRUPTED
    if isinstance(error, Terminated):
        return f"stopped by {error.name}" + _nothing_written(), 128 + error.number
    if isinstance(error, click.UsageError):
        message = " ".join(error.format_message().split()) or "a command or an argument is missing"
        command = error.ctx.command_path if error.ctx is not None else "stscreds"
        return f"{message} (see `{command} --help`)", EXIT_USAGE  # click's "Did you mean" kept
    if isinstance(error, click.ClickException):
        return " ".join(error.format_message().split()), error.exit_code
    if isinstance(error, OSError):  # only printing is left outside a command: --help to a full disk
        answers.abandon_stdout()
        return f"could not write to stdout: {error.strerror or error}", EXIT_FAILURE
    return f"unexpected error ({type(error).__name__}: {redact(str(error))})", EXIT_FAILURE


reported = False  # whether a command has said why it failed


def say_failure(message: str) -> None:
    global reported
    reported = True
    try:
        sys.stderr.write(f"stscreds: {message}\n")
        sys.stderr.flush()
    except (AttributeError, OSError, ValueError):
        pass  # stderr is gone too: the exit code says it


def fail(message: str, code: int) -> NoReturn:
    say_failure(message)
    raise typer.Exit(code)


def run(action: Callable[[], T]) -> T:
    """Run a command's work; every failure becomes one line on stderr and an exit code."""
    try:
        return action()
    except (Exception, KeyboardInterrupt, Terminated) as error:
        if isinstance(error, KeyboardInterrupt) and sys.stderr is not None and sys.stderr.isatty():
            typer.echo("", err=True)  # ^C was echoed where the cursor was
        fail(*failure(error))


def say(message: str) -> None:
    """A message for the person: stderr, never stdout."""
    typer.echo(message, err=True)


def print_out(text: str) -> None:
    """Print a command's answer on stdout, or fail in one line if it cannot be."""
    problem = answers.write_stdout(text)
    if problem is not None:
        fail(problem, EXIT_FAILURE)


# --- --debug ---------------------------------------------------------------------------------


class _RedactingFormatter(logging.Formatter):
    """Formats, then masks (errors.redact): a step's message may name a key, an error AWS's
    words, which may hold anything."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def log_to_stderr() -> None:
    """--debug: stscreds' own steps, and one line per call to AWS (aws.make_client's hooks:
    service, operation, endpoint, status, time). Not botocore's, boto3's or urllib3's debug
    logs: hundreds of lines of event names, headers and bodies per call."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_RedactingFormatter("%(asctime)s %(name)s: %(message)s"))
    logger = logging.getLogger("stscreds")
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
