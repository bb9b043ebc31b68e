"""Opening a URL in the person's web browser, so that nothing the browser prints reaches stdout.

`open_url(url) -> bool` is the one way stscreds opens a browser (the IAM Identity Center
login's page, the AWS console's sign-in link, AWS Sign-In's login). It opens one only when there
is a display to show it on: on Linux and the BSDs, `DISPLAY` or `WAYLAND_DISPLAY`; macOS and
Windows always have one. It uses Python's `webbrowser`, with two differences: `BROWSER` (a list
of commands separated by the path separator), when set, is the whole choice, and when none of
its commands takes the URL no other browser is tried; and without it, the text browsers that
webbrowser would otherwise fall back to (`www-browser`, lynx, w3m, links, elinks) are never
started, since they would take over the terminal the person is using (and fetch the link).
It returns whether a browser took the URL, so that the caller can show the URL instead.

Browsers chatter on stdout ("Opening in existing browser session."), and webbrowser's launchers
run them with the process's own stdout, which is where `$(stscreds read KEY)` captures its value,
`eval "$(stscreds env)"` reads shell code and an SDK parses `credential-process`'s JSON. So for
the launch, file descriptor 1 is pointed at stderr (or another descriptor given): what the
launcher, and a browser it leaves running, print goes there, never to stdout.
"""

from __future__ import annotations

import os
import sys
from typing import Any

# Where a browser shows itself. Anywhere else without DISPLAY/WAYLAND_DISPLAY there is no window.
ALWAYS_A_DISPLAY = ("darwin", "win32", "cygwin")
# webbrowser's console browsers (Debian's www-browser is the text one; x-www-browser the other).
TEXT_BROWSERS = frozenset({"www-browser", "links", "links2", "elinks", "lynx", "w3m"})


def has_display(environ: dict[str, str] | None = None) -> bool:
    """Whether a browser window could be shown to the person."""
    environ = dict(os.environ) if environ is None else environ
    if sys.platform.startswith(ALWAYS_A_DISPLAY):
        return True
    return bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


def open_url(url: str, chatter: int | None = None) -> bool:
    """Open `url` in a browser when there is a display; True when a browser took it, False when
    there is none (or it failed): then show the URL instead. What the browser and its launcher
    print on stdout goes to file descriptor `chatter` (default: stderr's, 2). Never raises."""
    if not has_display():
        return False
    import webbrowser

    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()  # what is buffered for stdout is ours: it goes where it was meant to
        except (OSError, ValueError):
            pass
    with _stdout_pointed_at(2 if chatter is None else chatter):
        for name in _browsers(webbrowser):
            try:
                if webbrowser.get(name).open(url, new=2):
                    return True
            except Exception:  # webbrowser.Error, a launcher that cannot start: try the next one
                continue
    return False


def _browsers(webbrowser: Any) -> list[str]:
    """The browsers to try, in order: BROWSER's commands, else webbrowser's but the text ones."""
    chosen = os.environ.get("BROWSER", "")
    if chosen:
        return [name for name in chosen.split(os.pathsep) if name]
    try:
        webbrowser.register_standard_browsers()
    except Exception:
        return []
    return [name for name in getattr(webbrowser, "_tryorder", None) or [] if name.lower() not in TEXT_BROWSERS]


class _stdout_pointed_at:
    """Point file descriptor 1 at `target` (at /dev/null when `target` is closed) for the
    block, and back at what it was after. A child started meanwhile keeps the one it got."""

    def __init__(self, target: int) -> None:
        self.target = target
        self.saved: int | None = None
        self.opened: int | None = None

    def __enter__(self) -> None:
        try:
            self.saved = os.dup(1)
        except OSError:
            self.saved = None  # stdout is closed: it is closed again after
        target = self.target
        try:
            os.fstat(target)
        except OSError:
            target = self.opened = os.open(os.devnull, os.O_WRONLY)
        os.dup2(target, 1)

    def __exit__(self, *exc_info: object) -> None:
        try:
            if self.saved is not None:
                os.dup2(self.saved, 1)
                os.close(self.saved)
            else:
                os.close(1)
        finally:
            if self.opened is not None:
                os.close(self.opened)
