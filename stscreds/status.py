"""What `stscreds status` reports, read from the stores with no network and no prompt, and
the report as text or JSON.

Standard library only: while the credentials are valid, `status` is answered by the fast path,
through these same functions, so both paths print the same.
"""

from __future__ import annotations

import time

from stscreds import paths
from stscreds.config import Config, load_config
from stscreds.credentials import RENEW_MARGIN_SECONDS, days_since, json_object, mask
from stscreds.resolve import Resolver, describe


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
    long_term = user_arn = created = None
    if root.kind == "session":  # only a stscreds profile has a long-term key: a login's status loads no keystore
        from stscreds import keystore

        public = keystore.public_values(root.profile)
        long_term, user_arn, created = (
            public.get(k) for k in (keystore.ACCESS_KEY_ID, keystore.USER_ARN, keystore.KEY_CREATED)
        )
    report.update(
        user_arn=root.settings["login_session"] if root.kind == "login" else user_arn,
        access_key_id=mask(credentials.access_key_id) if credentials else None,
        long_term_access_key_id=mask(long_term) if long_term else None,
        expiration=credentials.expiration_text if credentials else None,
        seconds_left=int(credentials.seconds_left(now)) if credentials else None,
        valid=credentials is not None and credentials.outlives(RENEW_MARGIN_SECONDS, now),
        long_term_key_created=created,
        long_term_key_age_days=days_since(created, now),
        key_store=paths.key_store(),
        key_kind=resolved.kind,
        # Whether these credentials still come, at the end of the chain, from a long-term key
        # (a stscreds profile's): `stscreds login` and `retire-keys` move off it.
        rests_on_long_term_key=bool(long_term),
        long_term_key_profile=root.profile if long_term else None,
    )
    return report


# --- as text or JSON ----------------------------------------------------------------------------


def _duration(seconds: int) -> str:
    hours, minutes = divmod(max(seconds, 0) // 60, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {seconds % 60:02d}s"


def status_text(report: dict[str, object]) -> str:
    """`stscreds status`: one `Label: value` line each."""
    expiration, seconds_left = report.get("expiration"), report.get("seconds_left")
    if not isinstance(seconds_left, int):
        profile = str(report.get("alias_of") or report["profile"])
        auth = "stscreds auth" if profile == "default" else f"stscreds auth --profile {profile}"
        state = {
            "role": "no credentials yet: the next read assumes the role",
            "sso": "no credentials yet: the next read gets them from IAM Identity Center",
            "login": "no credentials yet: the next read gets them from the login",
            "static": "none that stscreds can read",
        }.get(str(report.get("key_kind")), f"no session: run `{auth}`")
    elif report.get("valid"):
        state = f"valid until {expiration} (in {_duration(seconds_left)})"
    elif seconds_left > 0:
        state = f"ends at {expiration} (in {_duration(seconds_left)}); the next read renews it"
    else:
        state = f"expired at {expiration} ({_duration(-seconds_left)} ago)"
    lines = [("Profile", report["profile"])]
    for label, key in (
        ("Alias of", "alias_of"),
        ("Role", "role_arn"),
        ("Source", "source_profile"),
        ("SSO", "sso_session"),
        ("Account", "sso_account_id"),
        ("Role name", "sso_role_name"),
        ("Login", "login_session"),
        ("Keys", "keys"),
    ):
        if report.get(key):
            lines.append((label, report[key]))
    lines += [("Session", state), ("File", report["path"])]
    if report.get("user_arn"):
        lines.append(("User", report["user_arn"]))
    if report.get("access_key_id"):
        lines.append(("Access key", f"{report['access_key_id']} ({report.get('key_kind', 'session')})"))
    if report.get("long_term_access_key_id"):
        age = report.get("long_term_key_age_days")
        made = f", made {str(report['long_term_key_created'])[:10]} ({age} days ago)" if isinstance(age, int) else ""
        lines.append(("Long-term", f"{report['long_term_access_key_id']} in {report['key_store']}{made}"))
        if report.get("rests_on_long_term_key"):
            holder = str(report.get("long_term_key_profile") or "default")
            flag = "" if holder == "default" else f" --profile {holder}"
            lines.append(
                ("Retire it", f"`stscreds login --profile NAME`, then `stscreds retire-keys{flag}` (see README)")
            )
    return "".join(f"{label + ':':<12} {value}\n" for label, value in lines)


def status_json(report: dict[str, object]) -> str:
    """`stscreds status --json`."""
    return json_object({k: v for k, v in report.items() if k not in ("key_kind", "key_store")}, indent=2) + "\n"
