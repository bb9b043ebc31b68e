"""`stscreds exec`: run a command with a profile's credentials, as fixed keys in its
environment or (`--server`) from a local endpoint that renews them."""

from __future__ import annotations

import os
from collections.abc import Mapping

from stscreds import ini, ini_edit, outputs
from stscreds.answers import MARGINS
from stscreds.broker import Broker
from stscreds.config import load_config
from stscreds.credentials import SDK_REFRESH_MARGIN_SECONDS
from stscreds.resolve import PROFILE_VARIABLES


def exec_environment(profile: str, broker: Broker, environ: Mapping[str, str]) -> dict[str, str]:
    """`environ` for the command `stscreds exec` runs: the credentials in, and the profile
    variables out (they would send an SDK looking for a profile instead of the keys)."""
    credentials = broker.get(profile, MARGINS["exec"])
    kept = {name: value for name, value in environ.items() if name not in PROFILE_VARIABLES}
    return {**kept, **outputs.environment(credentials, load_config().settings(profile).get("region"))}


# What the command of `exec --server` keeps of the profile's settings: how to reach AWS and
# how to show things, never where credentials come from. An allow-list: a setting botocore
# learns next year (`login_session` was one) must not send the command around the endpoint.
SERVER_KEPT_SETTINGS = frozenset(
    "region output endpoint_url ignore_configure_endpoint_urls services retry_mode max_attempts ca_bundle "
    "parameter_validation tcp_keepalive s3 sts_regional_endpoints use_dualstack_endpoint use_fips_endpoint "
    "defaults_mode disable_request_compression request_min_compression_size_bytes sdk_ua_app_id "
    "account_id_endpoint_mode request_checksum_calculation response_checksum_validation auth_scheme_preference "
    "sigv4a_signing_region_set endpoint_discovery_enabled api_versions".split()
)
SERVER_KEPT_PREFIXES = ("cli_",)  # the AWS CLI's own: pager, timestamps, binary format...
# Variables an SDK would take credentials from before the endpoint, or that would redirect it.
SERVER_HIDDEN_VARIABLES = (
    *PROFILE_VARIABLES,
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
)
# botocore hands out what the endpoint gives until 15 minutes before its end: give more.
SERVER_MIN_SECONDS = SDK_REFRESH_MARGIN_SECONDS + 60


def kept_setting(key: str) -> bool:
    return key in SERVER_KEPT_SETTINGS or key.startswith(SERVER_KEPT_PREFIXES)


def child_config(profile: str) -> str:
    """The AWS config file the command of `exec --server` sees: [default] holds the profile's
    settings (over [default]'s) that say how to reach AWS, none that says where credentials
    come from; the [services ...] sections its endpoints may name are kept."""
    config = load_config()
    merged = {**config.config_profiles.get("default", {}), **config.config_profiles.get(profile, {})}
    sections: dict[str, ini.Section] = {"default": {key: value for key, value in merged.items() if kept_setting(key)}}
    for name, values in config.sections.items():
        if name.startswith("services"):
            sections[name] = values
    return ini_edit.render(sections)


def run_with_server(path: str, argv: list[str], profile: str, broker: Broker, environ: Mapping[str, str]) -> int:
    """Run the command with a credentials endpoint instead of fixed keys; its exit code."""
    import signal
    import subprocess

    from stscreds import atomic, paths
    from stscreds.server import CredentialsServer

    broker.get(profile, SERVER_MIN_SECONDS)  # renew now, in the foreground, if it must be
    config_path = os.path.join(paths.stscreds_dir(), f"exec-{os.getpid()}.config")
    atomic.make_folders(paths.stscreds_dir(), enforce=True)
    atomic.write_file(config_path, child_config(profile).encode(ini.file_encoding()), record=False)
    try:
        with CredentialsServer(lambda: broker.get(profile, SERVER_MIN_SECONDS), broker.ui.say) as server:
            environment = {k: v for k, v in environ.items() if k not in SERVER_HIDDEN_VARIABLES}
            environment.update(
                AWS_CONTAINER_CREDENTIALS_FULL_URI=server.url,
                AWS_CONTAINER_AUTHORIZATION_TOKEN=server.token,
                AWS_CONFIG_FILE=config_path,
                # botocore reads keys from a credentials file before it asks the endpoint;
                # /dev/null is no file to it (and an empty one to other SDKs).
                AWS_SHARED_CREDENTIALS_FILE=os.devnull,
            )
            process = subprocess.Popen(argv, executable=path, env=environment)
            # The terminal sends Ctrl-C to the command too; SIGTERM and SIGHUP are passed on.
            previous = {
                number: signal.signal(number, lambda number, frame: process.send_signal(number))
                for number in (signal.SIGTERM, signal.SIGHUP)
            }
            ignored = signal.signal(signal.SIGINT, signal.SIG_IGN)
            try:
                code = process.wait()
            finally:
                for number, handler in previous.items():
                    signal.signal(number, handler)
                signal.signal(signal.SIGINT, ignored)
    finally:
        atomic.remove_file(config_path, record=False)
    return code if code >= 0 else 128 - code  # killed by signal N: 128+N, as shells say
