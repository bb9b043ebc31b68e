"""`stscreds init`: store a profile's long-term key pair, checked with iam:GetUser."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from stscreds import cache, credentials_file, keystore, paths
from stscreds.config import check_profile_name
from stscreds.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from stscreds.aws import ApiFactory
    from stscreds.prompts import UI


@dataclass(frozen=True)
class InitResult:
    user_name: str
    access_key_id: str
    path: str
    shadowing_variables: tuple[str, ...]
    forgotten: tuple[str, ...]  # what derived from another user's keys and was dropped


def init_profile(
    profile: str,
    ui: UI,
    make_api: ApiFactory,
    environ: Mapping[str, str] | None = None,
    mfa_command: str | None = None,
    keyring: bool = False,
) -> InitResult:
    """Ask for the long-term pair, check it with iam:GetUser, then store it, with the user's
    ARN and, when given, the command that prints MFA codes for this profile ("" removes it).
    With `keyring` the secret goes to the OS keyring, which is checked first. Keys of another
    IAM user than the stored ones drop everything got with the old ones first."""
    check_profile_name(profile)
    paths.check_apart()
    check_initialisable(profile)
    if keyring:
        keystore.check_keyring()  # not installed, or no keyring: say so before asking anything
    environ = os.environ if environ is None else environ
    shadowing = tuple(name for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY") if environ.get(name))
    access_key_id = ui.ask("AWS Access Key ID: ")
    if not keystore.looks_like_access_key_id(access_key_id):
        raise UsageError("that does not look like an AWS access key ID (16 or more capital letters and digits)")
    secret = ui.ask("AWS Secret Access Key: ", secret=True)
    if not secret or any(c.isspace() for c in secret) or not secret.isprintable():
        raise UsageError("the secret access key must be one word with no spaces")
    user = make_api(access_key_id, secret, None, profile).current_user()
    old = keystore.public_values(profile)
    settings = {keystore.USER_ARN: user.arn}
    if old.get(keystore.ACCESS_KEY_ID) != access_key_id:
        settings.update(dict.fromkeys((keystore.KEY_CREATED, keystore.MFA_DEVICES), ""))  # the old key's
    if mfa_command is not None:
        settings[keystore.MFA_COMMAND] = mfa_command
    forgotten: tuple[str, ...] = ()
    if old.get(keystore.ACCESS_KEY_ID) and old.get(keystore.USER_ARN) != user.arn:
        forgotten = forget_derived(profile)  # before the new keys: never the old identity under them
    path = keystore.save_keys(profile, access_key_id, secret, settings=settings, keyring=keyring)
    return InitResult(user.name, access_key_id, path, shadowing, forgotten)


def check_initialisable(profile: str) -> None:
    """`init` stores keys for stscreds profiles: a role or IAM Identity Center profile gets its
    credentials elsewhere, so storing keys under its name would change nothing."""
    from stscreds.errors import StscredsError
    from stscreds.resolve import resolve
    from stscreds.sources.session import flag

    if keystore.has_keys(profile):
        return
    try:
        source = resolve(profile)
    except StscredsError:  # nothing usable under that name yet (init makes it a stscreds profile),
        return  # or a broken file, which whatever reads it next reports
    root = source.chain()[-1]
    if root.kind == "session" and root.profile != profile:
        raise UsageError(
            f"{profile!r} is a {source.kind} profile whose credentials come from {root.profile!r}: its keys are "
            f"those of {root.profile!r} (`stscreds init{flag(root.profile)}`)"
        )
    if root.kind == "sso":
        raise UsageError(
            f"{profile!r} is an IAM Identity Center profile, with no long-term keys: run "
            f"`stscreds sso login{flag(profile)}`"
        )


def forget_derived(profile: str) -> tuple[str, ...]:
    """Drop every credential got with `profile`'s keys: its MFA session in the shared
    credentials file and the role credentials cached through it. What was dropped."""
    dropped = []
    if credentials_file.session_store(profile).forget():
        dropped.append(f"the session in [{profile}]")
    roles = cache.derived_from(f"session.{profile}")
    cache.remove(roles)
    dropped += [f"the credentials of {name!r}" for name in roles]
    return tuple(dropped)
