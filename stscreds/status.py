"""What `stscreds status` reports: read from the stores, with no network and no prompt.

Standard library only: while the credentials are valid, `status` is answered by the fast path,
through this same function, so both paths print the same.
"""

from __future__ import annotations

import time

from stscreds import keystore, paths
from stscreds.config import Config, load_config
from stscreds.credentials import RENEW_MARGIN_SECONDS, days_since, mask
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
