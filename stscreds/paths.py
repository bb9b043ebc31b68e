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
