"""What `stscreds status` and `stscreds list` report: read from the stores, with no network
and no prompt.

Standard library only: `status` (while the credentials are valid) and `list` are answered by
the fast path, through these same functions, so both paths print the same.
"""

from __future__ import annotations

import time

from stscreds import keystore, paths
from stscreds.config import Config, load_config
from stscreds.credentials import RENEW_MARGIN_SECONDS, days_since, mask
from stscreds.resolve import Resolver, known_profiles

TYPE_CHECKING = False
if TYPE_CHECKING:
    from stscreds.resolve import Resolved


def describe(resolved: Resolved) -> dict[str, str]:
    """What `status` and `list` show of where a profile's credentials come from (no secrets)."""
    settings = resolved.settings
    if resolved.kind == "role":
        return {"role_arn": settings["role_arn"], "source_profile": settings.get("source_profile", "")}
    if resolved.kind == "sso":
        label = settings["sso_session"] or settings["sso_start_url"]
        return {
            "sso_account_id": settings["sso_account_id"],
            "sso_role_name": settings["sso_role_name"],
            "sso_session": label,
        }
    if resolved.kind == "static":
        return {"keys": "temporary" if settings.get("aws_session_token") else "long-term"}
    return {}


def status_report(profile: str, now: float | None = None, config: Config | None = None) -> dict[str, object]:
    """The report `status` prints (as text, or as JSON with these keys in this order)."""
    now = time.time() if now is None else now
    resolver = Resolver(config or load_config())
    resolved = resolver.resolve(profile)
    credentials = resolved.store.load()
    report: dict[str, object] = {"profile": profile, "path": resolved.store.path}
    if resolver.aliases:
        report["alias_of"] = resolved.profile
    report.update(describe(resolved))
    root = resolved.chain()[-1]
    public = keystore.public_values(root.profile) if root.kind == "session" else {}
    long_term = public.get(keystore.ACCESS_KEY_ID)
    report.update(
        user_arn=public.get(keystore.USER_ARN),
        access_key_id=mask(credentials.access_key_id) if credentials else None,
        long_term_access_key_id=mask(long_term) if long_term else None,
        expiration=credentials.expiration_text if credentials else None,
        seconds_left=int(credentials.seconds_left(now)) if credentials else None,
        valid=credentials is not None and credentials.outlives(RENEW_MARGIN_SECONDS, now),
        long_term_key_created=public.get(keystore.KEY_CREATED),
        long_term_key_age_days=days_since(public.get(keystore.KEY_CREATED), now),
        key_store=paths.key_store(),
        key_kind=resolved.kind,
    )
    return report


# `list --json`: every row has every one of these keys, in this order (None where it does not apply).
LIST_KEYS = (
    "profile",  # the name, as --profile takes it
    "kind",  # session, role, sso, static or alias; None when it does not resolve
    "alias_of",  # an alias: the profile it stands for
    "chain",  # the profile it stands for and those it rests on, down to the one whose keys sign
    "role_arn",  # a role (or an alias of one)
    "sso_session",  # an IAM Identity Center role: its sso-session (or start URL, in the legacy form)
    "sso_account_id",
    "sso_role_name",
    "keys",  # keys of another tool's: temporary or long-term
    "long_term_access_key_id",  # a stscreds profile: its long-term key, masked
    "credentials",  # valid, expired or none: what is cached, read from the store
    "expiration",  # when the cached credentials end (or ended)
    "error",  # why the profile does not resolve: a cycle, a missing source_profile...
)


def list_report(config: Config | None = None, now: float | None = None) -> list[dict[str, object]]:
    """One row (LIST_KEYS) for every profile a file names, in the files' order: what it is,
    what it rests on, and what is cached for it. Reads the stores only."""
    now = time.time() if now is None else now
    config = config or load_config()
    resolver = Resolver(config)
    return [_row(resolver, name, now) for name in known_profiles(config)]


def _row(resolver: Resolver, name: str, now: float) -> dict[str, object]:
    row: dict[str, object] = dict.fromkeys(LIST_KEYS)
    row.update(profile=name, chain=[])
    try:
        resolved = resolver.resolve(name)
    except Exception as error:  # errors.py's classes are imported only when needed (see there)
        from stscreds.errors import NotInitialisedError, UsageError

        if not isinstance(error, (UsageError, NotInitialisedError)):
            raise  # a file that cannot be read: the whole command says so
        row["error"] = str(error)
        return row
    row.update(describe(resolved))
    row.pop("source_profile", None)  # the chain says it, and more
    row["chain"] = [link.profile for link in resolved.chain()]
    row["kind"] = "alias" if resolver.aliases else resolved.kind
    if resolver.aliases:
        row["alias_of"] = resolved.profile
    if resolved.kind == "session":
        key = keystore.public_values(resolved.profile).get(keystore.ACCESS_KEY_ID)
        row["long_term_access_key_id"] = mask(key) if key else None
    credentials = resolved.store.load()
    if credentials is None:
        row["credentials"] = "none"
    else:
        row["credentials"] = "valid" if credentials.seconds_left(now) > 0 else "expired"
        row["expiration"] = credentials.expiration_text
    return row
