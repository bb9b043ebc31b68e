"""What `stscreds status` reports: read from the stores, with no network and no prompt.

Standard library only: while the session is valid, `status` is answered by the fast path,
through this same function, so both paths print the same.
"""

from __future__ import annotations

import time

from stscreds import keystore, paths, profiles
from stscreds.credentials import RENEW_MARGIN_SECONDS, days_since
from stscreds.errors import mask


def status_report(profile: str, now: float | None = None) -> dict[str, object]:
    """The report `status` prints (as text, or as JSON with these keys in this order)."""
    now = time.time() if now is None else now
    config = profiles.load_config()
    store = profiles.store_for(profile, config)
    credentials = store.load()
    report: dict[str, object] = {"profile": profile, "path": store.path}
    settings = config.settings(profile)
    role_arn = settings.get("role_arn")
    if role_arn:
        report["role_arn"] = role_arn
        report["source_profile"] = settings.get("source_profile")
    sso = profiles.sso_settings(settings)
    if sso is not None:
        report["sso_account_id"] = sso["sso_account_id"]
        report["sso_role_name"] = sso["sso_role_name"]
        report["sso_session"] = sso["sso_session"] or sso["sso_start_url"]
    public = {} if role_arn or sso else keystore.public_values(profiles.plain_profile(profile, config))
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
        key_kind="role" if role_arn or sso else "session",
    )
    return report
