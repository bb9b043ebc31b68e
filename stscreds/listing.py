"""`stscreds list`: one row for every profile a file names (what it is, what it rests on, what
is cached for it, or why it does not resolve), as text or JSON. Read from the files and the
stores alone: no network, no prompt.

Standard library only: the fast path answers `list` (see __main__.py), with these functions, so
both paths print the same.
"""

from __future__ import annotations

import time

from stscreds import keystore
from stscreds.config import Config, load_config
from stscreds.credentials import json_string, json_value, mask
from stscreds.resolve import Resolver, describe, known_profiles

# `list --json`: every row has every one of these keys, in this order (None where it does not apply).
LIST_KEYS = (
    "profile",  # the name, as --profile takes it
    "kind",  # session, role, sso, login, static or alias; None when it does not resolve
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
    "login_session",  # a login profile (`stscreds login`, `aws login`): the signed-in identity's ARN
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


def _rests_on(row: dict[str, object]) -> str:
    """What a `list` row's credentials come from, in words."""
    chain = row.get("chain")
    chain = [str(name) for name in chain] if isinstance(chain, list) else []
    kind = _target_kind(row) if row["kind"] == "alias" else row["kind"]
    if kind == "role":
        where = f"{row['role_arn']} via {' -> '.join(chain[1:])}"
    elif kind == "sso":
        where = f"account {row['sso_account_id']}, role {row['sso_role_name']}, sso-session {row['sso_session']}"
    elif kind == "login":
        where = f"login {row['login_session']}"
    elif kind == "static":
        where = f"keys of its own ({row['keys']})"
    elif row.get("long_term_access_key_id"):
        where = f"stscreds key {row['long_term_access_key_id']}"
    else:
        where = "a session of its own"
    return f"alias of {row['alias_of']}: {where}" if row["kind"] == "alias" else where


def _target_kind(row: dict[str, object]) -> str:
    """The kind of what an alias stands for, from what its row shows."""
    if row.get("role_arn"):
        return "role"
    if row.get("sso_account_id") or row.get("sso_role_name"):
        return "sso"
    if row.get("login_session"):
        return "login"
    return "static" if row.get("keys") else "session"


def list_text(rows: list[dict[str, object]]) -> str:
    """`stscreds list`: a header, then one line per profile: its name, kind, what it rests
    on, and its cached credentials (until when, expired or none); or why it does not resolve."""
    table = [("PROFILE", "KIND", "FROM", "CREDENTIALS")]
    for row in rows:
        if row.get("error"):
            table.append((str(row["profile"]), "-", str(row["error"]), ""))
            continue
        state = str(row["credentials"])
        cached = f"until {row['expiration']}" if state == "valid" else state
        table.append((str(row["profile"]), str(row["kind"]), _rests_on(row), cached))
    widths = [max(len(line[column]) for line in table if line[3] or column < 2) for column in range(3)]
    lines = []
    for line in table:
        if not line[3]:  # an error: its reason takes the rest of the line
            lines.append(f"{line[0]:<{widths[0]}}  {line[1]:<{widths[1]}}  {line[2]}")
        else:
            lines.append(f"{line[0]:<{widths[0]}}  {line[1]:<{widths[1]}}  {line[2]:<{widths[2]}}  {line[3]}")
    return "".join(line + "\n" for line in lines)


def list_json(rows: list[dict[str, object]]) -> str:
    """`stscreds list --json`: {"profiles": [row, ...]}, each row with every key of LIST_KEYS,
    in that order, as `json.dumps(..., indent=2)` writes it."""
    return _json({"profiles": rows}, "") + "\n"


def _json(value: object, pad: str) -> str:
    """json.dumps(value, indent=2) at the indentation `pad`, for credentials.json_value's values
    and lists and dicts of them."""
    if isinstance(value, dict):
        items = [f"{json_string(key)}: {_json(item, pad + '  ')}" for key, item in value.items()]
        opening, closing = "{", "}"
    elif isinstance(value, list):
        items = [_json(item, pad + "  ") for item in value]
        opening, closing = "[", "]"
    else:
        return json_value(value)
    if not items:
        return opening + closing
    return f"{opening}\n{pad}  " + f",\n{pad}  ".join(items) + f"\n{pad}{closing}"
