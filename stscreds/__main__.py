"""Entry point for the `stscreds` script and `python -m stscreds`.

`read`, `env`, `credential-process` and `status` run in every new shell, or before every SDK
call in a refresh window, so while the credentials are valid they are answered here with the
standard library alone: with the options, profile choice, margins and output of answers.py,
from the store that `resolve` names, as the full CLI does. So is `list`, which reads the
stores only. Anything else (help, a bad
argument, a broken file, credentials to renew) goes to the full typer CLI, which behaves the
same whether or not this ran.
"""

from __future__ import annotations

import sys


def _parse(args: list[str], command: str) -> tuple[list[str], dict[str, str]] | None:
    """Positional arguments and the command's options (answers.OPTIONS); None for anything
    else (--help, an unknown option, a missing value): the full CLI explains those."""
    from stscreds.answers import OPTIONS

    names = {flag: option for option in OPTIONS[command] for flag in option.flags}
    positional: list[str] = []
    options: dict[str, str] = {}
    rest = list(args)
    while rest:
        arg = rest.pop(0)
        name, equals, value = arg.partition("=")
        option = names.get(arg)
        if option is not None and not option.takes_value:
            options[option.name] = ""
        elif option is not None and rest:
            options[option.name] = rest.pop(0)
        elif equals and name.startswith("--") and name in names and names[name].takes_value:
            options[names[name].name] = value
        elif not arg.startswith("-"):
            positional.append(arg)
        else:
            return None
    return positional, options


_FAST_COMMANDS = ("read", "env", "credential-process", "status", "list")


def fast_answer(args: list[str], now: float | None = None) -> str | None:
    """What the command in `args` would print, when it can be answered without renewing
    anything and with the standard library only; else None."""
    if not args or args[0] not in _FAST_COMMANDS:
        return None
    parsed = _parse(args[1:], args[0])
    if parsed is None:
        return None
    try:
        return _answer(args[0], *parsed, now)
    except Exception:  # a broken file, a bad name...: the full CLI reports it properly
        return None


def _answer(command: str, positional: list[str], options: dict[str, str], now: float | None) -> str | None:
    from stscreds import answers

    if command == "env":
        output = answers.checked_output(options.get("shell"), options.get("format"), "unset" in options)
        if "unset" in options:
            return None if positional else answers.unset(output)
    from stscreds.config import load_config

    config = load_config()
    if command == "list":
        from stscreds.listing import list_report

        rows = list_report(config, now)
        if positional or not rows:
            return None  # "no profiles yet" is the full CLI's
        return answers.list_output(rows, "json" in options)
    profile = answers.profile_for(command, options.get("profile"), config=config)
    if profile.startswith("-"):
        return None
    if command == "status":
        from stscreds.status import status_report

        report = status_report(profile, now, config)
        if positional or not report["valid"]:
            return None  # exit 1 and its message are the full CLI's
        answers.warn_if_shadowed()
        return answers.status(report, "json" in options)
    if len(positional) != (command == "read"):
        return None
    credentials = answers.cached(profile, answers.MARGINS[command], now, config)
    if credentials is None:
        return None  # to be renewed: the full CLI does that
    if command == "read":
        return answers.read(credentials, positional[0])
    if command == "env":
        text = answers.env(credentials, output, profile, config)
        answers.warn_if_shadowed()
        return text
    return answers.credential_process(credentials)


def main() -> None:
    try:
        from stscreds import _ctrl_c_as_usual

        _ctrl_c_as_usual()  # Ctrl-C is KeyboardInterrupt again, caught below and by the CLI
        if sys.platform == "win32":  # at once, rather than deep inside a command
            from stscreds import _UNSUPPORTED_PLATFORM

            _fail(_UNSUPPORTED_PLATFORM, 1)
        answer = fast_answer(sys.argv[1:])
        if answer is not None:
            from stscreds.answers import write_stdout

            failure = write_stdout(answer)
            if failure is not None:
                _fail(failure, 1)
            return
        from stscreds.cli.main import main as cli_main  # typer and click: most of the start-up
    except KeyboardInterrupt:  # Ctrl-C before the CLI could catch it
        _fail("interrupted", 130)
    cli_main()


def _fail(message: str, code: int) -> None:
    try:
        sys.stderr.write(f"stscreds: {message}\n")
    except (AttributeError, OSError, ValueError):
        pass  # stderr closed too: the exit code says it
    sys.exit(code)


if __name__ == "__main__":
    main()
