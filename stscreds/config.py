"""The AWS configuration as botocore reads it: which profiles exist and what they say.

botocore builds its profiles from two files (`Session.full_config`): the config file
(`AWS_CONFIG_FILE`, else `~/.aws/config`), where `[default]` and `[profile NAME]` are profiles
and `[sso-session NAME]` are IAM Identity Center sessions; then every section of the shared
credentials file (`AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`) is merged into the
profile of its name, its values winning. Role settings written in the credentials file
therefore count, and a profile can exist in either file alone. `Config` is that merge, made
once per command; what kind of source a profile is, is decided in resolve.py.

Standard library only, and cheap: the fast path of `read`, `env`, `credential-process`,
`status` and `list` loads the configuration in every new shell.
"""

from __future__ import annotations

from stscreds import ini, paths

TYPE_CHECKING = False
if TYPE_CHECKING:
    pass

DEFAULT_PROFILE = "default"


def check_profile_name(profile: str) -> str:
    """Refuse names that cannot be a section header, or that configparser treats specially."""
    try:
        return ini.check_section_name(profile)
    except ValueError:
        from stscreds.errors import UsageError  # see errors.py: not at the top

        raise UsageError(f"invalid profile name {profile!r}") from None


def words(text: str) -> list[str]:
    """`shlex.split(text)`, as botocore splits section names, without importing shlex (and
    re) for the texts that need no quoting rules: whitespace-separated plain words."""
    if any(c in text for c in "\"'\\"):
        import shlex

        try:
            return shlex.split(text)
        except ValueError:
            return []
    return [word for word in text.replace("\t", " ").replace("\n", " ").replace("\r", " ").split(" ") if word]


def _plain(values: ini.Section) -> dict[str, str]:
    """A section's plain settings (nested ones, like `s3 =` blocks, left out)."""
    return {key: value for key, value in values.items() if isinstance(value, str)}


class Config:
    """The profiles and sso-sessions botocore would see, from the two files' sections."""

    def __init__(
        self,
        config_sections: dict[str, ini.Section],
        credentials_sections: dict[str, ini.Section],
        path: str,
        credentials_path: str,
    ) -> None:
        self.path = path
        self.credentials_path = credentials_path
        self.sections = config_sections  # the config file as it is, for what is written from it
        self.credentials_sections = credentials_sections
        self.config_profiles: dict[str, ini.Section] = {}
        self.sso_sessions: dict[str, ini.Section] = {}
        for key, values in config_sections.items():  # botocore's build_profile_map
            if key.startswith("profile"):
                parts = words(key)
                if len(parts) == 2:
                    self.config_profiles[parts[1]] = values
            elif key.startswith("sso-session"):
                parts = words(key)
                if len(parts) == 2:
                    self.sso_sessions[parts[1]] = values
            elif key == DEFAULT_PROFILE:
                self.config_profiles[key] = values
        self.profiles: dict[str, ini.Section] = dict(self.config_profiles)
        for name, values in credentials_sections.items():  # botocore's full_config
            self.profiles[name] = {**self.profiles.get(name, {}), **values}

    def settings(self, profile: str) -> dict[str, str]:
        """The profile's plain settings, both files merged as botocore merges them."""
        return _plain(self.profiles.get(profile, {}))

    def config_settings(self, profile: str) -> dict[str, str]:
        """The profile's plain settings in the config file alone."""
        return _plain(self.config_profiles.get(profile, {}))

    def shared_credentials(self, profile: str) -> dict[str, str]:
        """The profile's section of the shared credentials file, where sessions are kept."""
        return _plain(self.credentials_sections.get(profile, {}))


def load_config() -> Config:
    config_path, credentials_path = paths.config_file(), paths.shared_credentials_file()
    return Config(ini.read(config_path).sections, ini.read(credentials_path).sections, config_path, credentials_path)


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
# What makes botocore's SSO provider take a profile (its _PROFILE_REQUIRED_CONFIG_VARS).
SSO_ROLE_SETTINGS = ("sso_account_id", "sso_role_name")


def sso_settings(settings: dict[str, str]) -> dict[str, str] | None:
    """The profile's IAM Identity Center settings (`stscreds_` ones too), or None when it has
    none: also a profile that only names an sso_session, which `sso login` may use."""
    found = {key: settings.get(key) or settings.get(PROCESS_PREFIX + key) or "" for key in SSO_SETTINGS}
    if not (found["sso_account_id"] or found["sso_role_name"] or found["sso_session"]):
        return None
    return found


def is_sso_role(settings: dict[str, str]) -> bool:
    """Whether credentials for the profile come from an IAM Identity Center role: botocore's
    test (an account or a role name), or the same settings written for `credential_process`."""
    return any(settings.get(key) or settings.get(PROCESS_PREFIX + key) for key in SSO_ROLE_SETTINGS)


def stscreds_command(argv: list[str]) -> list[str] | None:
    """The arguments after `stscreds` when `argv` runs stscreds (its script, or `python -m
    stscreds`), else None."""
    if len(argv) > 2 and argv[0].rpartition("/")[2].startswith("python") and argv[1:3] == ["-m", "stscreds"]:
        return argv[3:]
    if argv and argv[0].rpartition("/")[2] == "stscreds":
        return argv[1:]
    return None


def stscreds_alias(settings: dict[str, str]) -> tuple[str | None] | None:
    """For a profile whose `credential_process` is `stscreds credential-process [--profile X]`:
    a 1-tuple of X (None when no profile is given). None for any other profile."""
    rest = stscreds_command(words(settings.get("credential_process", "")))
    if not rest or rest[0] != "credential-process":
        return None
    profile, rest = None, rest[1:]
    while rest:
        arg = rest.pop(0)
        if arg in ("--profile", "-p") and rest:
            profile = rest.pop(0)
        elif arg.startswith("--profile="):
            profile = arg.partition("=")[2]
        else:
            return None
    return (profile,)
