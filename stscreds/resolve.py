"""The one answer to "which identity does this profile name stand for".

Every command, the fast path and the library ask `resolve`, which reads a name the way
botocore does, so that `--profile prod` means to stscreds what it means to boto3 and the AWS
CLI:

- The name itself: `--profile`, else `AWS_DEFAULT_PROFILE`, else `AWS_PROFILE` (botocore's
  order), else `default` (`chosen_profile`).
- A profile named on its own (botocore's default chain): `role_arn` makes it a role; else its
  own credentials, in the order of botocore's profile providers (`_own`): an IAM Identity
  Center role, keys in the shared credentials file (a stscreds profile's MFA session, or keys
  of another tool's), `login_session`, `credential_process`, keys in the config file.
- A `source_profile` inside a chain (botocore's `_resolve_credentials_from_profile`): a
  profile with keys of its own ends the chain there even if it has a `role_arn` too, and may
  name itself; any other with a `role_arn` is assumed in turn.
- A stscreds profile (its long-term keys in `~/.stscreds/credentials`) counts as having keys
  of its own even before its first session is written, since `auth` writes it where botocore
  will find it.
- A profile whose `credential_process` is `stscreds credential-process [--profile X]` stands
  for whatever X stands for (an alias): botocore would run stscreds to get X's credentials.

`resolve` gives a `Resolved`: data (the kind, the store, the lock, the chain), made with the
standard library and the stores alone; the source that can fetch (sources/) is built from it
only to renew. So the fast path, which only reads stores, loads no source module.
"""

from __future__ import annotations

import os

from stscreds import paths
from stscreds.config import DEFAULT_PROFILE, Config, check_profile_name, is_sso_role, load_config, stscreds_alias
from stscreds.credentials import INI_KEYS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from stscreds.credentials import Store
    from stscreds.errors import StscredsError

# botocore's order: its `profile` setting reads AWS_DEFAULT_PROFILE first.
PROFILE_VARIABLES = ("AWS_DEFAULT_PROFILE", "AWS_PROFILE")


def chosen_profile(flag: str | None, environ: Mapping[str, str] | None = None) -> str:
    """The profile a command is about, as botocore picks it: the flag, else the first of the
    variables that is set (an empty one means `default`), else `default`."""
    if flag is not None:
        return flag
    environ = os.environ if environ is None else environ
    for variable in PROFILE_VARIABLES:
        if variable in environ:
            return environ[variable] or DEFAULT_PROFILE
    return DEFAULT_PROFILE


def process_profile(flag: str | None, environ: Mapping[str, str] | None = None, config: Config | None = None) -> str:
    """The profile `credential-process` serves. An SDK runs it with its own environment, in
    which AWS_PROFILE names the profile the SDK started from, not always the one whose
    `credential_process` this is: for `AWS_PROFILE=prod` with `[profile prod] source_profile =
    mfa`, botocore runs mfa's process. So without `--profile`, when the named profile's chain
    passes through a profile whose process is stscreds' own without a profile, that is the
    one being asked for (and it stands for `default`)."""
    name = chosen_profile(flag, environ)
    if flag is not None:
        return name
    config = config or load_config()
    seen = [name]
    while True:
        settings = config.settings(seen[-1])
        alias = stscreds_alias(settings)
        if alias is not None and alias[0] is None:
            return DEFAULT_PROFILE if seen[-1] != name else name
        following = settings.get("source_profile") if settings.get("role_arn") else None
        if not following or following in seen:
            return name
        seen.append(following)


def resolve(name: str, config: Config | None = None) -> Resolved:
    """What `name` stands for, its chain resolved."""
    return Resolver(config or load_config()).resolve(name)


def known_profiles(config: Config) -> list[str]:
    """Every profile name a file defines: the AWS files' and stscreds' key store's."""
    from stscreds import keystore

    return list(dict.fromkeys([*config.profiles, *keystore.profile_names()]))


def stored(name: str) -> bool:
    """Whether `name` is a stscreds profile: its long-term keys in the key store. A store that
    is missing, or whose text does not even contain the name, has no section for it: known
    without loading keystore (a login profile's read in every shell asks this)."""
    from stscreds import ini

    try:
        document = ini.read(paths.key_store(), "utf-8")
    except Exception:  # keystore says what is wrong with it
        document = None
    if document is not None and (
        document.kind == ini.MISSING or (document.kind == ini.REGULAR and name not in document.text)
    ):
        return False
    from stscreds import keystore  # only where it decides: reading a session never loads it

    return keystore.has_keys(name)


def lock_name(kind: str, key: str) -> str:
    """The lock that renewals of one source (or one IAM Identity Center login) take turns under."""
    return f"{kind}.{key}"


def login_lock(session: str) -> str:
    """The lock of one AWS Sign-In login session (`login_session`), shared by every profile
    that names it: its refreshes, and `stscreds login` and `logout`, take turns under it."""
    return lock_name("login-session", session)


def sso_login_lock(sso: Mapping[str, str]) -> str:
    """The lock of the IAM Identity Center login a profile's settings name."""
    return lock_name("sso-session", sso.get("sso_session") or sso.get("sso_start_url") or "")


class Resolved:
    """What a profile name stands for, as data: the kind of source, where its credentials are
    kept (`store`), the lock its renewals take, and what it rests on (`parent`, for a role).
    `sources.build` makes the source that can fetch them: only a renewal needs it, so
    answering from the store loads no source module at all."""

    __slots__ = ("kind", "lock_name", "mfa_serial", "parent", "profile", "renew_within", "settings", "store")

    def __init__(
        self,
        kind: str,
        profile: str,
        settings: dict[str, str],
        store: Store,
        parent: Resolved | None = None,
        mfa_serial: str | None = None,
        lock: str | None = None,
        renew_within: float | None = None,
    ) -> None:
        self.kind = kind
        self.profile = profile
        self.settings = settings
        self.store = store
        self.lock_name = lock or lock_name(kind, profile)
        self.parent = parent
        self.mfa_serial = mfa_serial  # for a session: the device a role down its chain names
        self.renew_within = renew_within  # see sources.Source.renew_within

    def __repr__(self) -> str:
        return f"{self.kind} profile {self.profile!r}"

    def chain(self) -> list[Resolved]:
        """This profile and those it rests on, down to the one whose own credentials sign."""
        return [self, *(self.parent.chain() if self.parent else ())]

    @property
    def origin(self) -> str:
        """What the credentials are got through, as a lock name: the session or login at the
        end of a role's chain, an SSO role's login, else this profile's own source (for a
        login profile, its login session's lock)."""
        if self.parent is not None:
            return self.parent.origin
        if self.kind == "sso":
            return sso_login_lock(self.settings)
        return self.lock_name


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
    if resolved.kind == "login":
        return {"login_session": settings["login_session"]}
    if resolved.kind == "static":
        return {"keys": "temporary" if settings.get("aws_session_token") else "long-term"}
    return {}


def _refused(message: str) -> Exception:
    """A UsageError: a mistake in the files, said in one line. errors.py is imported only here,
    where something failed: its classes cost the fast path more than any module of its own."""
    from stscreds.errors import UsageError

    return UsageError(message)


class Resolver:
    """Resolves names against one reading of the files; `aliases` records the aliases the
    last `resolve` followed (for `status` and `list`)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.aliases: list[str] = []

    def resolve(self, name: str) -> Resolved:
        check_profile_name(name)
        self.aliases = []
        return self._top(name)

    def exists(self, name: str) -> bool:
        return name in self.config.profiles or stored(name)

    # --- botocore's two readings of a name --------------------------------------------------

    def _top(self, name: str) -> Resolved:
        """A profile named on its own: botocore's default chain (environment variables aside,
        which stscreds never serves)."""
        settings = self.config.settings(name)
        if settings.get("role_arn") and not settings.get("web_identity_token_file"):
            return self._role(name, settings, [name], None)
        found = self._own(name, settings, settings.get("mfa_serial") or None)
        if found is None:
            raise self._nothing_for(name)
        return found

    def _source(self, name: str, visited: list[str], mfa_serial: str | None) -> Resolved:
        """A source_profile: its own credentials when it has keys or no role, else its role."""
        settings = self.config.settings(name)
        if self._has_keys(name) or not settings.get("role_arn"):
            found = self._own(name, settings, mfa_serial or settings.get("mfa_serial") or None)
            if found is None:
                raise _refused(
                    f"profile {name!r} (the source_profile of {visited[-2]!r}) has no credentials of its own and no "
                    f"role: set it up with `stscreds init --profile {name}`, or point source_profile elsewhere"
                )
            return found
        return self._role(name, settings, visited, mfa_serial)

    def _has_keys(self, name: str) -> bool:
        """botocore's _has_static_credentials, and stscreds profiles, whose session `auth` writes there."""
        settings = self.config.settings(name)
        return bool(settings.get("aws_access_key_id") or settings.get("aws_secret_access_key")) or stored(name)

    def _role(self, name: str, settings: dict[str, str], visited: list[str], mfa_serial: str | None) -> Resolved:
        from stscreds import cache
        from stscreds.config import role_origin

        source_profile, credential_source = settings.get("source_profile"), settings.get("credential_source")
        if source_profile and credential_source:
            raise _refused(
                f"profile {name!r} has both source_profile and credential_source, which botocore refuses too: keep one"
            )
        if credential_source:
            raise _refused(
                f"profile {name!r} gets its role's credentials from credential_source = {credential_source}: "
                "stscreds assumes roles from a source_profile"
            )
        if not source_profile:
            raise _refused(f"profile {name!r} has a role_arn but no source_profile to assume it with")
        if not self.exists(source_profile):
            suggestion = self._suggest(source_profile)
            raise _refused(f"the source_profile {source_profile!r} of profile {name!r} does not exist{suggestion}")
        if source_profile in visited and (source_profile != name or not self._has_keys(name)):
            raise _refused(f"a cycle in source_profile: {' -> '.join([*visited, source_profile])}")
        parent = self._source(source_profile, [*visited, source_profile], mfa_serial or settings.get("mfa_serial"))
        store = cache.CacheStore(name, role_origin(settings), parent.origin)
        return Resolved("role", name, settings, store, parent)

    def _own(self, name: str, settings: dict[str, str], mfa_serial: str | None) -> Resolved | None:
        """The profile's own credentials, in the order of botocore's profile providers; None
        when it has none."""
        from stscreds import credentials_file

        if settings.get("web_identity_token_file"):
            raise _refused(f"profile {name!r} uses web_identity_token_file, which stscreds does not serve")
        if is_sso_role(settings):
            from stscreds import cache
            from stscreds.config import sso_settings

            sso = sso_settings(settings) or {}
            return Resolved("sso", name, sso, cache.CacheStore(name, sso, sso_login_lock(sso)))
        shared = self.config.shared_credentials(name)
        # A session as `auth` writes it, or a stscreds profile's keys (before its first session):
        # the shape decides first, so that reading a session needs no look at the key store.
        if all(shared.get(key) for key in INI_KEYS) or stored(name):
            store = credentials_file.session_store(name)
            return Resolved("session", name, shared, store, mfa_serial=mfa_serial)
        if shared.get("aws_access_key_id"):
            path = self.config.credentials_path
            return Resolved("static", name, shared, credentials_file.StaticStore(shared, path))
        if settings.get("login_session"):
            return self._login(name, settings)
        alias = stscreds_alias(settings)
        if alias is not None:
            return self._alias(name, alias[0] or DEFAULT_PROFILE)
        if settings.get("credential_process"):
            program = settings["credential_process"].split()[0].rpartition("/")[2]
            raise _refused(f"profile {name!r} gets its credentials by running {program}, which stscreds does not run")
        own = self.config.config_settings(name)
        if own.get("aws_access_key_id"):
            return Resolved("static", name, own, credentials_file.StaticStore(own, self.config.path))
        return None

    def _login(self, name: str, settings: dict[str, str]) -> Resolved:
        """An AWS Sign-In login (`stscreds login`, `aws login`): its credentials kept in
        stscreds' cache with the session they came from, renewed within 5 minutes of their
        end (they last 15 at most), under the login session's lock."""
        from stscreds import cache
        from stscreds.credentials import RENEW_MARGIN_SECONDS

        lock = login_lock(settings["login_session"])
        store = cache.CacheStore(name, {"login_session": settings["login_session"]}, lock)
        return Resolved("login", name, settings, store, lock=lock, renew_within=RENEW_MARGIN_SECONDS)

    def _alias(self, name: str, target: str) -> Resolved:
        if target == name or target in self.aliases:
            raise _refused(
                f"profile {name!r} gets its credentials from `stscreds credential-process --profile {target}`, "
                "which leads back to itself"
            )
        self.aliases.append(name)
        check_profile_name(target)
        return self._top(target)

    # --- saying what is missing ---------------------------------------------------------------

    def _nothing_for(self, name: str) -> StscredsError:
        from stscreds.errors import (  # see errors.py: not at the top
            NotInitialisedError,
            UnknownProfileError,
            UsageError,
        )

        if name in self.config.profiles:
            return UsageError(
                f"profile {name!r} has no credentials stscreds can serve (no role_arn, sso_account_id, "
                f"login_session, stscreds keys or keys of its own): sign in with `stscreds login --profile {name}`, "
                f"or set up its keys with `stscreds init --profile {name}`"
            )
        if name == DEFAULT_PROFILE and not known_profiles(self.config):
            return NotInitialisedError(
                "nothing is set up yet: run `stscreds init` first "
                "(or `stscreds login` to sign in with no access key at all)"
            )
        return UnknownProfileError(
            f"no profile {name!r} in {self.config.path}, {self.config.credentials_path} or "
            f"{paths.key_store()}{self._suggest(name)}"
        )

    def _suggest(self, name: str) -> str:
        import difflib  # only on this error path

        close = difflib.get_close_matches(name, known_profiles(self.config), n=1)
        return f"; did you mean {close[0]!r}?" if close else ""
