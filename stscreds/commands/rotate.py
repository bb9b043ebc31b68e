"""`stscreds rotate`: replace a stscreds profile's long-term key with a new one."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from stscreds import keystore
from stscreds.broker import Broker
from stscreds.credentials import mask
from stscreds.errors import StscredsError, UsageError
from stscreds.sources.session import session_root

# How long a new key may take to work (IAM is eventually consistent), and the waits between tries.
KEY_READY_WAITS = (0.5, 1, 1, 2, 2, 3, 3, 4, 5, 5, 5)


@dataclass(frozen=True)
class Rotated:
    user: str
    old_key: str  # masked, like the new one
    new_key: str
    path: str
    old_key_deleted: str | None  # None when deleted; else why not
    session_works: bool


def rotate(profile: str, broker: Broker, yes: bool, sleep: Callable[[float], None] = time.sleep) -> Rotated:
    """Replace the profile's long-term key: create a new one with the MFA session, wait until it
    works, store it, then delete the old one. Never leaves a key behind: a failure between
    creating and storing deletes the new key again."""
    from stscreds.errors import KeysRejectedError

    source = session_root(profile, "rotate")
    if not yes and not broker.ui.interactive:
        raise UsageError("rotate asks before it replaces your key: confirm on a terminal, or pass --yes")
    old_id, _ = keystore.load_keys(profile)
    session = broker.get_from(source)  # the shipped policy wants MFA for IAM
    api = broker.make_api(session.access_key_id, session.secret_access_key, session.session_token, profile)
    user = (keystore.settings(profile).get(keystore.USER_ARN) or api.caller_arn()).rpartition("/")[2]
    keys = api.access_keys(user)
    if len(keys) >= 2:
        others = ", ".join(mask(k.access_key_id) for k in keys if k.access_key_id != old_id)
        raise StscredsError(
            f"IAM user {user} has two access keys already, AWS's limit: {mask(old_id)} (stscreds') and {others}; "
            "delete the one you do not use, then rotate"
        )
    if not yes:
        answer = broker.ui.ask(f"Replace access key {mask(old_id)} of IAM user {user} with a new one? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            raise UsageError("not rotated: nothing was changed")
    new, secret = api.create_access_key(user)
    broker.ui.say(f"Created {mask(new.access_key_id)}; waiting until IAM accepts it.")
    try:
        checker = broker.make_api(new.access_key_id, secret, None, profile)
        for wait in (*KEY_READY_WAITS, None):
            try:
                checker.current_user()
                break
            except KeysRejectedError:
                if wait is None:
                    raise
                sleep(wait)
        path = keystore.save_keys(profile, new.access_key_id, secret, settings={keystore.KEY_CREATED: new.created})
    except BaseException:  # Ctrl-C and signals too: an unstored key must not stay behind
        try:
            api.delete_access_key(user, new.access_key_id)
        except StscredsError as error:
            raise StscredsError(
                f"could not delete the new key {mask(new.access_key_id)} after a failure ({error}): "
                "delete it in the IAM console"
            ) from None
        raise
    try:
        api.delete_access_key(user, old_id)
        deleted = None
    except StscredsError as error:
        deleted = str(error)
    try:
        api.caller_arn()
        works = True
    except StscredsError:
        works = False
    return Rotated(user, mask(old_id), mask(new.access_key_id), path, deleted, works)
