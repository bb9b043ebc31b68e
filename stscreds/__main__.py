"""Entry point for the `stscreds` script and `python -m stscreds`.

`stscreds read KEY` and `eval "$(stscreds env)"` run in every new shell, so their common case
(a valid session) is answered here with the standard library alone; anything else (help,
errors, an expired session) goes to the full typer CLI, which behaves the same whether or not
this ran.
"""

from __future__ import annotations

import sys
import time

_PROFILE = {"--profile": "profile", "-p": "profile"}
_SHELL = {"--shell": "shell", "-s": "shell"}


def _parse(args: list[str], names: dict[str, str]) -> tuple[list[str], dict[str, str]] | None:
    """Positional arguments and the options in `names`; None for anything else (--help, an
    unknown option, a missing value): the full CLI explains those."""
    positional: list[str] = []
    options: dict[str, str] = {}
    rest = list(args)
    while rest:
        arg = rest.pop(0)
        name, equals, value = arg.partition("=")
        if arg in names and rest:
            options[names[arg]] = rest.pop(0)
        elif equals and name.startswith("--") and name in names:
            options[names[name]] = value
        elif not arg.startswith("-"):
            positional.append(arg)
        else:
            return None
    return positional, options


def _session(options: dict[str, str]) -> dict[str, str] | None:
    from stscreds import files

    profile = options.get("profile", files.DEFAULT_PROFILE)
    if profile.startswith("-"):
        return None
    try:
        files.check_profile_name(profile)
        return files.fast_current_session(profile, time.time())
    except Exception:  # a broken file, a bad name...: the full CLI reports it properly
        return None


def _fast_read(args: list[str]) -> str | None:
    """The value `stscreds read` would print, when the session is valid; else None."""
    from stscreds import files

    parsed = _parse(args, _PROFILE)
    if parsed is None or len(parsed[0]) != 1 or parsed[0][0] not in files.READABLE_KEYS:
        return None
    session = _session(parsed[1])
    return None if session is None else session.get(parsed[0][0])


def _fast_env(args: list[str]) -> str | None:
    """What `stscreds env` would print, when the session is valid; else None."""
    from stscreds import shells

    parsed = _parse(args, {**_PROFILE, **_SHELL})
    if parsed is None or parsed[0] or parsed[1].get("shell", "sh") not in shells.SHELLS:
        return None
    session = _session(parsed[1])
    return None if session is None else shells.script(session, parsed[1].get("shell", "sh"))


def main() -> None:
    args = sys.argv[1:]
    answer = None
    if args[:1] == ["read"]:
        value = _fast_read(args[1:])
        answer = None if value is None else value + "\n"
    elif args[:1] == ["env"]:
        answer = _fast_env(args[1:])
    if answer is not None:
        sys.stdout.write(answer)
        return
    from stscreds.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
