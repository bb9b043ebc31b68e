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

Standard library only: each kind's module is imported only when a profile of that kind is
resolved, so the fast path loads one.
"""

from __future__ import annotations

import os

from stscreds import keystore
from stscreds.config import DEFAULT_PROFILE, Config, check_profile_name, is_sso_role, load_config, stscreds_alias
from stscreds.errors import NotInitialisedError, StscredsError, UnknownProfileError, UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from stscreds.sources import Source
    from stscreds.sources.session import SessionTokenSource

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


def resolve(name: str, config: Config | None = None) -> Source:
    """The source of the credentials `name` stands for, its chain resolved."""
    return Resolver(config or load_config()).resolve(name)


def known_profiles(config: Config) -> list[str]:
    """Every profile name a file defines: the AWS files' and stscreds' key store's."""
    return list(dict.fromkeys([*config.profiles, *keystore.profile_names()]))


class Resolver:
    """Resolves names against one reading of the files; `aliases` records the aliases the
    last `resolve` followed (for `status` and `list`)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.aliases: list[str] = []

    def resolve(self, name: str) -> Source:
        check_profile_name(name)
        self.aliases = []
        return self._top(name)

    def exists(self, name: str) -> bool:
        return name in self.config.profiles or keystore.has_keys(name)

    # --- botocore's two readings of a name --------------------------------------------------

    def _top(self, name: str) -> Source:
        """A profile named on its own: botocore's default chain (environment variables aside,
        which stscreds never serves)."""
        settings = self.config.settings(name)
        if settings.get("role_arn") and not settings.get("web_identity_token_file"):
            return self._role(name, settings, [name], None)
        found = self._own(name, settings, settings.get("mfa_serial") or None)
        if found is None:
            raise self._nothing_for(name)
        return found

    def _source(self, name: str, visited: list[str], mfa_serial: str | None) -> Source:
        """A source_profile: its own credentials when it has keys or no role, else its role."""
        settings = self.config.settings(name)
        if self._has_keys(name) or not settings.get("role_arn"):
            found = self._own(name, settings, mfa_serial or settings.get("mfa_serial") or None)
            if found is None:
                raise UsageError(
                    f"profile {name!r} (the source_profile of {visited[-2]!r}) has no credentials of its own and no "
                    f"role: set it up with `stscreds init --profile {name}`, or point source_profile elsewhere"
                )
            return found
        return self._role(name, settings, visited, mfa_serial)

    def _has_keys(self, name: str) -> bool:
        """botocore's _has_static_credentials, and stscreds profiles, whose session `auth` writes there."""
        settings = self.config.settings(name)
        return bool(settings.get("aws_access_key_id") or settings.get("aws_secret_access_key")) or keystore.has_keys(
            name
        )

    def _role(self, name: str, settings: dict[str, str], visited: list[str], mfa_serial: str | None) -> Source:
        from stscreds.sources.role import AssumeRoleSource

        source_profile, credential_source = settings.get("source_profile"), settings.get("credential_source")
        if source_profile and credential_source:
            raise UsageError(
                f"profile {name!r} has both source_profile and credential_source, which botocore refuses too: keep one"
            )
        if credential_source:
            raise UsageError(
                f"profile {name!r} gets its role's credentials from credential_source = {credential_source}: "
                "stscreds assumes roles from a source_profile"
            )
        if not source_profile:
            raise UsageError(f"profile {name!r} has a role_arn but no source_profile to assume it with")
        if not self.exists(source_profile):
            suggestion = self._suggest(source_profile)
            raise UsageError(f"the source_profile {source_profile!r} of profile {name!r} does not exist{suggestion}")
        if source_profile in visited and (source_profile != name or not self._has_keys(name)):
            raise UsageError(f"a cycle in source_profile: {' -> '.join([*visited, source_profile])}")
        parent = self._source(source_profile, [*visited, source_profile], mfa_serial or settings.get("mfa_serial"))
        return AssumeRoleSource(name, settings, parent)

    def _own(self, name: str, settings: dict[str, str], mfa_serial: str | None) -> Source | None:
        """The profile's own credentials, in the order of botocore's profile providers; None
        when it has none."""
        if settings.get("web_identity_token_file"):
            raise UsageError(f"profile {name!r} uses web_identity_token_file, which stscreds does not serve")
        if is_sso_role(settings):
            from stscreds.config import sso_settings
            from stscreds.sources.sso import SsoSource

            return SsoSource(name, sso_settings(settings) or {}, self.config.sso_sessions)
        shared = self.config.shared_credentials(name)
        if keystore.has_keys(name):
            from stscreds.sources.session import SessionTokenSource

            return SessionTokenSource(name, mfa_serial=mfa_serial)
        if shared.get("aws_access_key_id"):
            from stscreds.sources.static import StaticSource

            return StaticSource(name, shared, self.config.credentials_path)
        alias = stscreds_alias(settings)
        if alias is not None:
            return self._alias(name, alias[0] or DEFAULT_PROFILE)
        if settings.get("credential_process"):
            program = settings["credential_process"].split()[0].rpartition("/")[2]
            raise UsageError(f"profile {name!r} gets its credentials by running {program}, which stscreds does not run")
        own = self.config.config_settings(name)
        if own.get("aws_access_key_id"):
            from stscreds.sources.static import StaticSource

            return StaticSource(name, own, self.config.path)
        return None

    def _alias(self, name: str, target: str) -> Source:
        if target == name or target in self.aliases:
            raise UsageError(
                f"profile {name!r} gets its credentials from `stscreds credential-process --profile {target}`, "
                "which leads back to itself"
            )
        self.aliases.append(name)
        check_profile_name(target)
        return self._top(target)

    # --- saying what is missing ---------------------------------------------------------------

    def _nothing_for(self, name: str) -> StscredsError:
        if name in self.config.profiles:
            return UsageError(
                f"profile {name!r} has no credentials stscreds can serve (no role_arn, sso_account_id, stscreds keys "
                f"or keys of its own): set up its keys with `stscreds init --profile {name}`"
            )
        if name == DEFAULT_PROFILE and not known_profiles(self.config):
            return NotInitialisedError("nothing is set up yet: run `stscreds init` first")
        return UnknownProfileError(
            f"no profile {name!r} in {self.config.path}, {self.config.credentials_path} or "
            f"{keystore.store_path()}{self._suggest(name)}"
        )

    def _suggest(self, name: str) -> str:
        import difflib  # only on this error path

        close = difflib.get_close_matches(name, known_profiles(self.config), n=1)
        return f"; did you mean {close[0]!r}?" if close else ""


def session_root(name: str, command: str, config: Config | None = None) -> SessionTokenSource:
    """The MFA session of a stscreds profile, for the commands that work on its long-term keys
    (`auth`, `whoami`, `rotate`). Any other kind of profile is refused, naming what to run."""
    from stscreds.sources.session import SessionTokenSource, flag

    check_profile_name(name)
    config = config or load_config()
    if keystore.has_keys(name):
        return SessionTokenSource(name, mfa_serial=config.settings(name).get("mfa_serial") or None)
    try:
        source = Resolver(config).resolve(name)
    except (UnknownProfileError, NotInitialisedError):
        raise NotInitialisedError(
            f"no long-term keys for profile {name!r}: run `stscreds init{flag(name)}` first"
        ) from None
    root = source.chain()[-1]
    if root.kind == "session":
        raise UsageError(
            f"{name!r} is a {source.kind} profile whose session comes from {root.profile!r}: "
            f"run `stscreds {command}{flag(root.profile)}`"
        )
    if root.kind == "sso":
        raise UsageError(
            f"{name!r} is an IAM Identity Center profile, with no long-term keys: run `stscreds sso login{flag(name)}`"
        )
    if root.kind == "static" and getattr(root, "long_term", False):
        raise UsageError(
            f"profile {name!r} holds long-term keys that stscreds does not manage: keep them in stscreds with "
            f"`stscreds init --import{flag(name)}` first"
        )
    raise UsageError(f"{name!r} is a {root.kind} profile, with no stscreds keys: run `stscreds init{flag(name)}` first")
