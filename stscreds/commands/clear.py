"""`stscreds clear`: forget cached credentials, so that the next `read` gets new ones.

What it forgets, for a profile: its MFA session (the four keys in `[P]` of the shared
credentials file, every other byte kept), its cached role or IAM Identity Center role
credentials, and every cached credential got through them (a role whose chain passes through
P: `resolve` says what rests on what); with `--all`, every session and the whole cache. Never
long-term keys (a pair in `[P]` without a session token is the user's, and the key store is
not touched), never an IAM Identity Center login (`sso logout` ends that) nor an AWS Sign-In
one (`logout --login`: clearing a login profile forgets only what stscreds cached from it).

The section `[P]` itself goes only when stscreds added it (the key store records the file in
which `auth` created it) and nothing is left in it: no key, no comment.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from stscreds import cache, credentials_file, keystore, paths
from stscreds.config import Config, load_config
from stscreds.credentials import mask
from stscreds.errors import StscredsError
from stscreds.resolve import Resolved, Resolver, known_profiles


@dataclass(frozen=True)
class ForgottenSession:
    profile: str
    access_key_id: str  # masked
    path: str
    section_removed: bool


@dataclass
class Cleared:
    sessions: list[ForgottenSession] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)  # profiles whose cached credentials went
    cache_path: str = ""
    alias_of: str | None = None  # the profile asked for stands for this one
    kept: str | None = None  # what there was and is not stscreds' to forget


def clear(profile: str | None, everything: bool = False, config: Config | None = None) -> Cleared:
    """Forget what is cached for `profile` (or, with `everything`, for every profile)."""
    paths.check_apart()  # a session forgotten in the key store would be the long-term pair
    config = config or load_config()
    cleared = Cleared(cache_path=paths.cache_file())
    if everything:
        sessions = _every_session(config)
        names = list(cache.sections())
    else:
        assert profile is not None
        sessions, names = _for_profile(profile, config, cleared)
    cleared.cached = cache.remove(names)
    for name in sessions:
        forgotten = _forget_session(name)
        if forgotten is not None:
            cleared.sessions.append(forgotten)
    return cleared


def _for_profile(profile: str, config: Config, cleared: Cleared) -> tuple[list[str], list[str]]:
    """The sessions and cached profiles to forget for `profile`: its own, and whatever was got
    through them."""
    resolver = Resolver(config)
    resolved: Resolved | None = None
    problem: StscredsError | None = None
    try:
        resolved = resolver.resolve(profile)
    except StscredsError as error:
        problem = error
    cached = cache.sections()
    target = resolved.profile if resolved is not None else profile
    if resolved is not None and resolver.aliases:
        cleared.alias_of = target
    names = [target] if target in cached else []
    sessions: list[str] = []
    if resolved is not None and resolved.kind == "session":
        sessions.append(target)
        names += cache.derived_from(resolved.lock_name)  # also those whose settings changed since
    if resolved is not None and resolved.kind == "static":
        cleared.kept = f"profile {target!r} holds keys of its own in {resolved.store.path}, which stscreds never clears"
    for name in cached:
        if name not in names and target in _chain_of(name, resolver):
            names.append(name)
    if problem is not None and not names:
        raise problem
    return sessions, names


def _chain_of(name: str, resolver: Resolver) -> list[str]:
    """The profiles `name`'s credentials are got through (itself first); [] when it no longer
    resolves."""
    try:
        return [link.profile for link in resolver.resolve(name).chain()]
    except StscredsError:
        return []


def _every_session(config: Config) -> list[str]:
    """Every profile whose MFA session stscreds keeps: named on its own or down a chain."""
    resolver = Resolver(config)
    found: list[str] = []
    for name in known_profiles(config):
        try:
            chain = resolver.resolve(name).chain()
        except StscredsError:
            continue
        found += [link.profile for link in chain if link.kind == "session" and link.profile not in found]
    return found


def _forget_session(profile: str) -> ForgottenSession | None:
    """Forget `profile`'s session in the shared credentials file: its four keys, and the section
    when stscreds added it and nothing else is in it."""
    from stscreds import ini

    store = credentials_file.session_store(profile)
    key = (ini.read(store.path).sections.get(profile) or {}).get("aws_access_key_id")
    stored = keystore.has_keys(profile)
    ours = stored and keystore.settings(profile).get(keystore.SESSION_SECTION) == store.path
    removed = store.forget(remove_section=ours)
    if not removed:
        return None
    if removed == credentials_file.SECTION:
        keystore.save_settings(profile, {keystore.SESSION_SECTION: ""})
    masked = mask(key) if isinstance(key, str) else "no key"
    return ForgottenSession(profile, masked, store.path, removed == credentials_file.SECTION)
