"""Profiles: which source of credentials a profile name stands for.

The AWS config file (`AWS_CONFIG_FILE`, else `~/.aws/config`) is read as botocore reads it
(`build_profile_map`): `[default]` and `[profile NAME]` are profiles, `[sso-session NAME]` are
IAM Identity Center sessions. A profile with `role_arn` is a role assumed from its
`source_profile`; one with `sso_account_id` and `sso_role_name` is an IAM Identity Center
role; any other name is a stscreds profile: long-term keys in `~/.stscreds/credentials` and
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


def store_for(profile: str, config: Config | None = None) -> Store:
    """Where `profile`'s credentials are kept: what the fast path looks at, without the
    sources (and what they import to fetch)."""
    from stscreds import credentials_file

    check_profile_name(profile)
    return credentials_file.session_store(profile)


def resolve(profile: str, config: Config | None = None) -> Source:
    """The source of `profile`'s credentials (not yet its chain: that is read when renewing)."""
    from stscreds import sources

    check_profile_name(profile)
    return sources.SessionTokenSource(profile)
