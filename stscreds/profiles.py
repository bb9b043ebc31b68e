"""Profiles: which source of credentials a profile name stands for.

The AWS config file (`AWS_CONFIG_FILE`, else `~/.aws/config`) is read as botocore reads it
(`build_profile_map`): `[default]` and `[profile NAME]` are profiles, `[sso-session NAME]` are
IAM Identity Center sessions. A profile with `role_arn` is a role assumed from its
`source_profile`; one with `sso_account_id` and `sso_role_name` (or `sso_session`) is an IAM
Identity Center role; any other name is a stscreds profile: long-term keys in `~/.stscreds/credentials` and
its MFA session in the shared credentials file.

Standard library only (the fast path resolves a profile to find its cached credentials);
the sources themselves import what they need when they fetch.
"""

from __future__ import annotations

from stscreds import ini, paths
from stscreds.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from stscreds.broker import Store
    from stscreds.sources import Source

DEFAULT_PROFILE = "default"


def check_profile_name(profile: str) -> str:
    """Refuse names that cannot be a section header, or that configparser treats specially."""
    try:
        return ini.check_section_name(profile)
    except ValueError:
        raise UsageError(f"invalid profile name {profile!r}") from None


def _words(section: str) -> list[str]:
    """`shlex.split(section)`, as botocore splits section names, without importing shlex (and
    re) for the names that need no quoting rules: whitespace-separated plain words."""
    if any(c in section for c in "\"'\\"):
        import shlex

        try:
            return shlex.split(section)
        except ValueError:
            return []
    return [word for word in section.replace("\t", " ").replace("\n", " ").replace("\r", " ").split(" ") if word]


class Config:
    """The AWS config file's profiles and sso-sessions, as botocore maps them."""

    def __init__(self, sections: dict[str, ini.Section], path: str) -> None:
        self.path = path
        self.profiles: dict[str, ini.Section] = {}
        self.sso_sessions: dict[str, ini.Section] = {}
        for key, values in sections.items():
            if key.startswith("profile"):
                words = _words(key)
                if len(words) == 2:
                    self.profiles[words[1]] = values
            elif key.startswith("sso-session"):
                words = _words(key)
                if len(words) == 2:
                    self.sso_sessions[words[1]] = values
            elif key == DEFAULT_PROFILE:
                self.profiles[key] = values

    def settings(self, profile: str) -> dict[str, str]:
        """The profile's plain settings (nested ones, like `s3 =` blocks, left out)."""
        return {k: v for k, v in self.profiles.get(profile, {}).items() if isinstance(v, str)}


def load_config() -> Config:
    path = paths.config_file()
    return Config(ini.read(path).sections, path)


# The settings of a role profile, as botocore names them, that its credentials are made from:
# credentials cached for other values of these are not that profile's.
ROLE_SETTINGS = ("role_arn", "source_profile", "mfa_serial", "duration_seconds", "external_id", "role_session_name")


def role_origin(settings: dict[str, str]) -> dict[str, str]:
    return {key: settings.get(key, "") for key in ROLE_SETTINGS}


# A profile's IAM Identity Center settings, as AWS CLI v2 writes them; `sso discover --style
# process` writes them with this prefix, which botocore ignores, so that it runs the profile's
# credential_process instead of its own SSO provider.
SSO_SETTINGS = ("sso_session", "sso_start_url", "sso_region", "sso_account_id", "sso_role_name")
PROCESS_PREFIX = "stscreds_"


def sso_settings(settings: dict[str, str]) -> dict[str, str] | None:
    """The profile's IAM Identity Center settings, or None when it is not an SSO profile."""
    found = {key: settings.get(key) or settings.get(PROCESS_PREFIX + key) or "" for key in SSO_SETTINGS}
    if not (found["sso_account_id"] or found["sso_role_name"] or found["sso_session"]):
        return None
    return found


def stscreds_alias(settings: dict[str, str]) -> str | None:
    """The stscreds profile that `credential_process = stscreds credential-process [--profile
    X]` stands for: a profile written for SDKs that get their keys from stscreds is, to
    stscreds, that profile itself. None for any other profile."""
    argv = _words(settings.get("credential_process", ""))
    if len(argv) > 2 and argv[0].rpartition("/")[2].startswith("python") and argv[1:3] == ["-m", "stscreds"]:
        argv = ["stscreds", *argv[3:]]
    if len(argv) < 2 or argv[0].rpartition("/")[2] != "stscreds" or argv[1] != "credential-process":
        return None
    profile, rest = DEFAULT_PROFILE, argv[2:]
    while rest:
        arg = rest.pop(0)
        if arg in ("--profile", "-p") and rest:
            profile = rest.pop(0)
        elif arg.startswith("--profile="):
            profile = arg.partition("=")[2]
        else:
            return None
    return profile


def plain_profile(profile: str, config: Config) -> str:
    """`profile`, or the stscreds profile it stands for (see stscreds_alias)."""
    seen = [profile]
    while (alias := stscreds_alias(config.settings(seen[-1]))) is not None and alias not in seen:
        seen.append(alias)
    return seen[-1]


def store_for(profile: str, config: Config | None = None) -> Store:
    """Where `profile`'s credentials are kept: what the fast path looks at, without the
    sources (and what they import to fetch)."""
    check_profile_name(profile)
    config = config or load_config()
    settings = config.settings(profile)
    origin = role_origin(settings) if settings.get("role_arn") else sso_settings(settings)
    if origin is not None:
        from stscreds import cache  # only role profiles need it: each module costs the fast path

        return cache.CacheStore(profile, origin)
    from stscreds import credentials_file

    return credentials_file.session_store(plain_profile(profile, config))


def resolve(profile: str, config: Config | None = None) -> Source:
    """The source of `profile`'s credentials (its chain of source profiles is read when it
    is prepared for renewing)."""
    from stscreds import sources

    check_profile_name(profile)
    config = config or load_config()
    settings = config.settings(profile)
    if settings.get("role_arn"):
        return sources.AssumeRoleSource(profile, settings, config)
    if sso_settings(settings) is not None:
        return sources.SsoSource(profile, settings, config)
    plain = plain_profile(profile, config)
    return sources.SessionTokenSource(plain, mfa_serial=config.settings(plain).get("mfa_serial") or None)
