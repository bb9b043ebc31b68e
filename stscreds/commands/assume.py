"""`stscreds assume`: renew role profiles now, many at once, with at most one MFA prompt."""

from __future__ import annotations

from dataclasses import dataclass

from stscreds.broker import Broker
from stscreds.config import load_config
from stscreds.credentials import Credentials
from stscreds.errors import StscredsError, UsageError
from stscreds.resolve import Resolver


@dataclass(frozen=True)
class Assumed:
    profile: str
    role_arn: str | None  # None for a profile among them that is not a role
    result: Credentials | StscredsError


def assume(names: list[str], every_role: bool, broker: Broker, parallel: int) -> list[Assumed]:
    """Renew the role profiles `names` now (with `every_role`, every role profile whose chain
    stscreds can follow), in parallel, with at most one MFA prompt per session."""
    if parallel < 1:
        raise UsageError("--parallel must be 1 or more")
    config = load_config()
    resolver = Resolver(config)
    if every_role:
        roles = [name for name in config.profiles if _is_role(resolver, name)]
        if not roles and not names:
            raise UsageError(
                f"no role profile in {config.path} or {config.credentials_path} to assume (a profile with a "
                "role_arn and a source_profile)"
            )
        names = [*names, *roles]
    if not names:
        raise UsageError("name the role profiles to assume, or use --all")
    results = broker.get_many(names, max_workers=parallel, renew=True)
    return [Assumed(name, config.settings(name).get("role_arn"), result) for name, result in results.items()]


def _is_role(resolver: Resolver, name: str) -> bool:
    """A role profile that resolves: one botocore would refuse (credential_source, a cycle...)
    is left out of --all, and named when asked for by name."""
    if not resolver.config.settings(name).get("role_arn"):
        return False
    try:
        return resolver.resolve(name).kind == "role" and not resolver.aliases
    except StscredsError:
        return False
