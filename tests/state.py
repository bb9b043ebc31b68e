"""A test's starting state, made in this interpreter: what `stscreds init` and `stscreds auth`
leave behind, without starting the CLI (each start imports boto3 and botocore, about 0.6 s).

The same code runs as in the CLI (commands.init, commands.auth, real boto3 and
moto behind the recording proxy, which AWS_ENDPOINT_URL points at), so the files and the calls
the proxy records are what the CLI would leave. Tests whose subject is the CLI's behaviour
still drive the installed CLI; these functions are for state a test merely starts from.

This is the one module of the tests that sets up state through stscreds' internals, and it
uses few of them: keystore.save_keys, commands.init.init_profile, commands.auth.authenticate
and parse_duration, commands.cli_broker and aws.AwsApi.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from stscreds.credentials import Credentials


class User(Protocol):
    """conftest.IamUser, or anything with a long-term pair."""

    @property
    def access_key_id(self) -> str: ...

    @property
    def secret_access_key(self) -> str: ...


class _Answers:
    """A UI that is not a terminal (as with piped stdin) and answers prompts in order."""

    interactive = False

    def __init__(self, *answers: str) -> None:
        self._answers = list(answers)
        self.said: list[str] = []

    def say(self, message: str) -> None:
        self.said.append(message)

    def ask(self, prompt: str, *, secret: bool = False) -> str:
        if not self._answers:
            raise AssertionError(f"state set-up was asked {prompt!r} and has no answer for it")
        return self._answers.pop(0)


@contextmanager
def _home(home: Path) -> Iterator[None]:
    """Run with HOME set to `home` (the isolated_env fixture sets it already; this makes sure)."""
    before = os.environ.get("HOME")
    os.environ["HOME"] = str(home)
    try:
        yield
    finally:
        if before is None:
            del os.environ["HOME"]
        else:
            os.environ["HOME"] = before


def store_keys(home: Path, user: User, profile: str = "default") -> None:
    """The pair in ~/.stscreds/credentials as `init` stores it, but unchecked (no call to AWS)
    and without the user's ARN, which `auth` then records."""
    from stscreds import keystore

    with _home(home):
        keystore.save_keys(profile, user.access_key_id, user.secret_access_key)


def initialise(home: Path, user: User, profile: str = "default", mfa_command: str | None = None) -> None:
    """What `stscreds init [--profile P] [--mfa-command CMD]` leaves, with the keys typed on
    piped stdin: the pair checked with iam:GetUser, stored with the user's ARN."""
    from stscreds.aws import AwsApi
    from stscreds.commands.init import init_profile

    with _home(home):
        ui = _Answers(user.access_key_id, user.secret_access_key)
        init_profile(profile, ui, AwsApi, environ={}, mfa_command=mfa_command)


def authenticate(home: Path, profile: str = "default", duration: str = "1h", code: str = "123456") -> Credentials:
    """What `stscreds auth --profile P --duration D` leaves, with `code` typed on piped stdin:
    the session in the shared credentials file, the key's age looked up once; the session."""
    from stscreds import commands
    from stscreds.aws import AwsApi
    from stscreds.commands.auth import authenticate as auth
    from stscreds.commands.auth import parse_duration

    with _home(home):
        broker = commands.cli_broker(_Answers(code), AwsApi)
        return auth(profile, parse_duration(duration), None, broker).credentials
