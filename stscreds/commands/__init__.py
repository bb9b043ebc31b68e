"""The commands as plain functions (use cases), one module per command or family. They take
their I/O (a UI, the broker) as arguments, print nothing themselves and raise StscredsError on
failure; cli/ maps flags to them and renders what they return."""

from __future__ import annotations

import time

from stscreds.broker import Broker
from stscreds.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from stscreds.aws import ApiFactory
    from stscreds.prompts import UI, MfaPrompter
    from stscreds.sources import Clock


def cli_broker(
    ui: UI, make_api: ApiFactory, code: str | None = None, command: str | None = None, clock: Clock = time.time
) -> Broker:
    """The broker the CLI uses: codes from `code`, `command`, the MFA command, else `ui`."""
    from stscreds.prompts import checked_code, mfa_prompter

    if code is not None:
        checked_code(code, "--mfa-code", UsageError)  # before anything else happens

    def mfa_for(profile: str) -> MfaPrompter:
        return mfa_prompter(ui, profile, code, command)

    return Broker(ui, mfa_for, make_api, clock)
