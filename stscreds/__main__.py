"""Entry point for the `stscreds` script and `python -m stscreds`.

`read`, `env`, `credential-process` and `status` run in every new shell, or before every SDK
call in a refresh window, so while the credentials are valid they are answered here with the
standard library alone, through the same broker lookup, stores and output formats as the full
CLI. Anything else (help, a bad argument, a broken file, credentials to renew) goes to the full
typer CLI, which behaves the same whether or not this ran.
"""

from __future__ import annotations

import sys

# Each command's options: name -> (what it sets, whether it takes a value).
_PROFILE = {"--profile": ("profile", True), "-p": ("profile", True)}
_OPTIONS = {
    "read": _PROFILE,
    "env": {**_PROFILE, "--shell": ("shell", True), "-s": ("shell", True)},
    "credential-process": _PROFILE,
    "status": {**_PROFILE, "--json": ("json", False)},
}


def _parse(args: list[str], names: dict[str, tuple[str, bool]]) -> tuple[list[str], dict[str, str]] | None:
    """Positional arguments and the options in `names`; None for anything else (--help, an
    unknown option, a missing value): the full CLI explains those."""
    positional: list[str] = []
    options: dict[str, str] = {}
    rest = list(args)
    while rest:
        arg = rest.pop(0)
        name, equals, value = arg.partition("=")
        if arg in names and not names[arg][1]:
            options[names[arg][0]] = ""
        elif arg in names and rest:
            options[names[arg][0]] = rest.pop(0)
        elif equals and name.startswith("--") and name in names and names[name][1]:
            options[names[name][0]] = value
        elif not arg.startswith("-"):
            positional.append(arg)
        else:
            return None
    return positional, options


def fast_answer(args: list[str]) -> str | None:
    """What the command in `args` would print, when it can be answered without renewing
    anything and with the standard library only; else None."""
    if not args or args[0] not in _OPTIONS:
        return None
    parsed = _parse(args[1:], _OPTIONS[args[0]])
    if parsed is None:
        return None
    positional, options = parsed
    profile = options.get("profile", "default")
    if profile.startswith("-"):
        return None
    try:
        return _answer(args[0], positional, options, profile)
    except Exception:  # a broken file, a bad name...: the full CLI reports it properly
        return None


def _answer(command: str, positional: list[str], options: dict[str, str], profile: str) -> str | None:
    from stscreds import credentials, outputs

    if command == "status":
        from stscreds.status import status_report

        report = status_report(profile)
        if positional or not report["valid"]:
            return None  # exit 1 and its message are the full CLI's
        return outputs.status_json(report) if "json" in options else outputs.status_text(report)
    from stscreds import broker

    if command == "read":
        if len(positional) != 1 or positional[0] not in credentials.INI_KEYS:
            return None
        found = broker.cached(profile, credentials.RENEW_MARGIN_SECONDS)
        return None if found is None else found.as_ini()[positional[0]] + "\n"
    if positional:
        return None
    if command == "env":
        shell = options.get("shell", "sh")
        if shell not in outputs.SHELLS:
            return None
        found = broker.cached(profile, credentials.RENEW_MARGIN_SECONDS)
        return None if found is None else outputs.shell_script(found, shell, profile)
    found = broker.cached(profile, credentials.SDK_REFRESH_MARGIN_SECONDS)  # credential-process
    return None if found is None else outputs.credential_process_json(found) + "\n"


def main() -> None:
    try:
        answer = fast_answer(sys.argv[1:])
        if answer is not None:
            from stscreds.outputs import write_stdout

            failure = write_stdout(answer)
            if failure is not None:
                _fail(failure, 1)
            return
        from stscreds.cli import main as cli_main  # typer and click: most of the start-up
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
