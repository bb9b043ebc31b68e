"""Every path stscreds reads or writes, in one place.

The AWS files are resolved exactly as botocore resolves them, so that "the file" means the same
thing to stscreds, boto3 and the AWS CLI: the variable when it is set (even to ""), else the
default; then `$VARS` and `~` expanded; a relative path stays relative to the current folder.
An empty value names no file at all: botocore then reads no credentials or config file.

Standard library only: `read`, `env`, `credential-process` and `status` import this module.
"""

from __future__ import annotations

import os

CREDENTIALS_FILE_VARIABLE = "AWS_SHARED_CREDENTIALS_FILE"
CONFIG_FILE_VARIABLE = "AWS_CONFIG_FILE"


def _botocore_path(variable: str, default: str) -> str:
    value = os.environ.get(variable)
    if value is None:
        value = default
    return os.path.expanduser(os.path.expandvars(value))


def shared_credentials_file() -> str:
    """`~/.aws/credentials`, or `$AWS_SHARED_CREDENTIALS_FILE`."""
    return _botocore_path(CREDENTIALS_FILE_VARIABLE, os.path.join("~", ".aws", "credentials"))


def config_file() -> str:
    """`~/.aws/config`, or `$AWS_CONFIG_FILE`."""
    return _botocore_path(CONFIG_FILE_VARIABLE, os.path.join("~", ".aws", "config"))


def sso_cache_dir() -> str:
    """Where AWS CLI v2 and botocore keep IAM Identity Center tokens (not configurable there)."""
    return os.path.join(os.path.expanduser("~"), ".aws", "sso", "cache")


LOGIN_CACHE_VARIABLE = "AWS_LOGIN_CACHE_DIRECTORY"


def login_cache_dir() -> str:
    """Where AWS CLI v2 (`aws login`) and botocore keep AWS Sign-In tokens:
    `$AWS_LOGIN_CACHE_DIRECTORY` (read as botocore reads it), else `~/.aws/login/cache`."""
    return _botocore_path(LOGIN_CACHE_VARIABLE, os.path.join("~", ".aws", "login", "cache"))


def stscreds_dir() -> str:
    """stscreds' own folder, kept 0700."""
    return os.path.join(os.path.expanduser("~"), ".stscreds")


def key_store() -> str:
    """The long-term key pairs, one section per profile."""
    return os.path.join(stscreds_dir(), "credentials")


def cache_file() -> str:
    """Credentials of assumed roles and IAM Identity Center roles, one section per profile."""
    return os.path.join(stscreds_dir(), "cache")


def locks_dir() -> str:
    """One lock file per source of credentials, and one for the cache file."""
    return os.path.join(stscreds_dir(), "locks")


# The two files must never be one: a session written over the long-term pair loses the secret.
SAME_FILE_REFUSAL = (
    "{path} is stscreds' key store and also the shared credentials file ("
    + CREDENTIALS_FILE_VARIABLE
    + " or a link names it): a session written there would replace your long-term keys; point "
    + CREDENTIALS_FILE_VARIABLE
    + " elsewhere; nothing was written"
)


def check_apart() -> None:
    """Refuse (in one line, before anything is asked) to go on when the shared credentials file
    and the key store are one file."""
    if same_file(shared_credentials_file(), key_store()):
        from stscreds.errors import StscredsError

        raise StscredsError(SAME_FILE_REFUSAL.format(path=key_store()))


def same_file(first: str, second: str) -> bool:
    """Whether two paths name one file (through links, or as hard links), existing or not."""
    if not first or not second:
        return False
    if os.path.realpath(first) == os.path.realpath(second):
        return True
    try:
        return os.path.samefile(first, second)
    except OSError:
        return False
