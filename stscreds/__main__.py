"""Entry point for the `stscreds` script and `python -m stscreds`.

`stscreds read KEY` runs in every new shell, so its common case (a valid session) is
answered here with the standard library alone; anything else (help, errors, an expired
session) goes to the full typer CLI, which behaves the same whether or not this ran.
"""

from __future__ import annotations

import sys
import time


def _fast_read(args: list[str]) -> str | None:
    """The value `stscreds read` would print, when the session is valid; else None."""
    from stscreds import files

    key = None
    profile = files.DEFAULT_PROFILE
    rest = list(args)
    while rest:
        arg = rest.pop(0)
        if arg in ("--profile", "-p") and rest:
            profile = rest.pop(0)
        elif arg.startswith("--profile="):
            profile = arg.partition("=")[2]
        elif key is None and not arg.startswith("-"):
            key = arg
        else:
            return None  # --help, unknown options, a second KEY: the full CLI explains
    if key not in files.READABLE_KEYS or profile.startswith("-"):
        return None
    try:
        files.check_profile_name(profile)
        return files.fast_current_value(key, profile, time.time())
    except Exception:  # a broken file, a bad name...: the full CLI reports it properly
        return None


def main() -> None:
    args = sys.argv[1:]
    if args[:1] == ["read"]:
        value = _fast_read(args[1:])
        if value is not None:
            sys.stdout.write(value + "\n")
            return
    from stscreds.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
