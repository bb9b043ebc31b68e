"""`stscreds whoami`: the IAM user of a stscreds profile's long-term keys."""

from __future__ import annotations

from dataclasses import dataclass

from stscreds import keystore
from stscreds.credentials import mask
from stscreds.sources.session import session_root

TYPE_CHECKING = False
if TYPE_CHECKING:
    from stscreds.aws import ApiFactory


@dataclass(frozen=True)
class Identity:
    user_name: str
    arn: str
    access_key_id: str  # masked
    mfa_serials: list[str]


def whoami(profile: str, make_api: ApiFactory) -> Identity:
    """The IAM user the stored long-term keys belong to, and their MFA devices."""
    session_root(profile, "whoami")
    access_key_id, secret = keystore.load_keys(profile)
    api = make_api(access_key_id, secret, None, profile)
    user = api.current_user()
    serials = api.mfa_serials(user.name) if user.name else []
    return Identity(user.name, user.arn, mask(access_key_id), serials)
