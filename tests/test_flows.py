"""init, auth and read as functions, against moto over HTTP through the recording proxy."""

from __future__ import annotations

import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from awsproxy import HANG, INVALID_KEY, SERVER_ERROR, WRONG_MFA_CODE, RecordingProxy, aws_error
from conftest import (
    IamUser,
    ScriptedUI,
    WaitsInProcess,
    broker_for,
    credentials_path,
    free_port,
    make_user,
    read_value,
    write_credentials,
)

from stscreds import answers, ini, keystore
from stscreds.aws import AwsApi, Timeouts
from stscreds.commands.auth import AuthResult, authenticate, parse_duration
from stscreds.commands.init import init_profile
from stscreds.credentials import INI_KEYS, RENEW_MARGIN_SECONDS, parse_expiration
from stscreds.errors import (
    AwsError,
    AwsUnreachableError,
    KeysRejectedError,
    MalformedFileError,
    MfaCodeRejectedError,
    MfaDeviceError,
    NoInputError,
    NotInitialisedError,
    UsageError,
)

OTHER_PROFILES = (
    "# managed by hand\r\n"
    "[work]\r\n"
    "aws_access_key_id=AKIAWORKWORKWORKWORK\r\n"
    "aws_secret_access_key =   spaced/out+secret  \r\n"
    "; a semicolon comment\r\n"
    "\r\n"
    "[default]\r\n"
    "region = eu-west-1\r\n"
    "aws_session_token = old-token\r\n"
    "\r\n"
    "[other]   \r\n"
    "key: value # not a comment for botocore\r\n"
)


def auth(
    profile: str = "default", code: str = "123456", duration: int = 43200, serial: str | None = None
) -> AuthResult:
    return authenticate(profile, duration, serial, broker_for(ScriptedUI(code)))


# --- init ------------------------------------------------------------------------------


def test_init_checks_the_pair_with_get_user_then_stores_it_private(
    user: IamUser, proxy: RecordingProxy, isolated_env: Path
) -> None:
    os.umask(0)  # the most permissive umask must not leak into the modes
    try:
        ui = ScriptedUI(user.access_key_id, user.secret_access_key)
        result = init_profile("default", ui, AwsApi, environ={})
    finally:
        os.umask(0o022)
    store = isolated_env / ".stscreds" / "credentials"
    assert result.user_name == "alice" and result.path == str(store)
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.parent.stat().st_mode) == 0o700
    assert keystore.load_keys("default") == (user.access_key_id, user.secret_access_key)
    assert [(c.iam_action, c.access_key_id) for c in proxy.calls] == [("iam:GetUser", user.access_key_id)]
    assert ui.prompts == ["AWS Access Key ID: ", "AWS Secret Access Key: "]


def test_init_keeps_other_profiles_and_tightens_an_existing_folder(user: IamUser, isolated_env: Path) -> None:
    folder = isolated_env / ".stscreds"
    folder.mkdir(mode=0o755)
    keystore.save_keys("work", "AKIAOTHEROTHEROTHER1", "other-secret")
    init_profile("default", ScriptedUI(user.access_key_id, user.secret_access_key), AwsApi, environ={})
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert keystore.load_keys("work") == ("AKIAOTHEROTHEROTHER1", "other-secret")


def test_init_with_rejected_keys_saves_nothing(user: IamUser, proxy: RecordingProxy, isolated_env: Path) -> None:
    proxy.faults["GetUser"] = INVALID_KEY
    with pytest.raises(KeysRejectedError, match="InvalidClientTokenId") as caught:
        init_profile("default", ScriptedUI(user.access_key_id, user.secret_access_key), AwsApi, environ={})
    assert user.secret_access_key not in str(caught.value)
    assert user.access_key_id not in str(caught.value)  # masked
    assert not (isolated_env / ".stscreds").exists()


def test_init_reports_variables_that_would_shadow_the_files(user: IamUser) -> None:
    environ = {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y"}
    result = init_profile("default", ScriptedUI(user.access_key_id, user.secret_access_key), AwsApi, environ)
    assert result.shadowing_variables == ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")


def test_init_refuses_something_that_is_not_a_key_before_calling_aws(proxy: RecordingProxy) -> None:
    with pytest.raises(UsageError):
        init_profile("default", ScriptedUI("not a key", "secret"), AwsApi, environ={})
    assert proxy.calls == []


# --- auth ------------------------------------------------------------------------------


def test_auth_writes_the_session_and_keeps_everything_else(
    user: IamUser, proxy: RecordingProxy, store_keys, isolated_env: Path
) -> None:
    store_keys(user)
    path = write_credentials(isolated_env, OTHER_PROFILES)
    ui = ScriptedUI("123456")
    result = authenticate("default", 43200, None, broker_for(ui))

    # Then, once, with the new session: when the long-term key was made (for its age).
    assert [c.iam_action for c in proxy.calls] == [
        "iam:GetUser", "iam:ListMFADevices", "sts:GetSessionToken", "iam:ListAccessKeys",
    ]  # fmt: skip
    assert {c.access_key_id for c in proxy.calls[:3]} == {user.access_key_id}
    assert proxy.calls[3].access_key_id == result.credentials.access_key_id
    assert proxy.calls[1].params["UserName"] == "alice"
    assert proxy.calls[2].params == {
        "Action": "GetSessionToken",
        "Version": "2011-06-15",
        "DurationSeconds": "43200",
        "SerialNumber": user.mfa_serials[0],
        "TokenCode": "123456",
    }
    assert ui.said == ["Current user: alice."]
    assert ui.prompts == [f"MFA code for {user.mfa_serials[0]}: "]

    text = path.read_bytes().decode()
    head, _, tail = OTHER_PROFILES.partition("[default]\r\n")
    assert text.startswith(head + "[default]\r\nregion = eu-west-1\r\n")
    assert text.endswith("\r\n\r\n" + tail.partition("\r\n\r\n")[2])
    default = ini.read(str(path)).sections["default"]
    assert default["region"] == "eu-west-1"
    assert default["aws_session_token"].startswith("AQoEXAMPLE")
    assert default["aws_access_key_id"] == result.credentials.access_key_id
    assert parse_expiration(default["x_security_token_expires"]) == int(result.credentials.expiration.timestamp())
    assert result.path == str(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_auth_creates_the_aws_folder_and_file_on_a_new_machine(user: IamUser, store_keys, isolated_env: Path) -> None:
    store_keys(user)
    auth()
    text = credentials_path(isolated_env).read_text()
    assert text.startswith("[default]\naws_access_key_id = ")
    assert set(ini.read(str(credentials_path(isolated_env))).sections["default"]) == set(INI_KEYS)


def test_auth_honours_aws_shared_credentials_file_and_symlinks(
    user: IamUser, store_keys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_keys(user)
    real = tmp_path / "dotfiles" / "aws-credentials"
    real.parent.mkdir()
    real.write_text("[work]\nregion = x\n")
    link = tmp_path / "link"
    link.symlink_to(real)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(link))
    assert auth().path == str(link)
    assert link.is_symlink()
    assert real.read_text().startswith("[work]\nregion = x\n\n[default]\n")


def test_auth_with_another_profile(user: IamUser, store_keys, isolated_env: Path) -> None:
    store_keys(user, profile="work")
    auth(profile="work")
    assert "work" in ini.read(str(credentials_path(isolated_env))).sections
    with pytest.raises(NotInitialisedError, match="stscreds init`"):
        auth(profile="default")


def test_auth_each_time_replaces_the_token(
    user: IamUser, proxy: RecordingProxy, store_keys, isolated_env: Path
) -> None:
    store_keys(user)
    proxy.unique_tokens = True
    first = auth().credentials.session_token
    second = auth().credentials.session_token
    assert first != second
    text = credentials_path(isolated_env).read_text()
    assert text.count("aws_session_token") == 1 and second in text


def test_auth_before_init_says_to_run_init(user: IamUser, proxy: RecordingProxy) -> None:
    with pytest.raises(NotInitialisedError, match="run `stscreds init` first"):
        auth()
    assert proxy.calls == []


def test_wrong_mfa_code_says_so_and_writes_nothing(
    user: IamUser, proxy: RecordingProxy, store_keys, isolated_env: Path
) -> None:
    store_keys(user)
    path = write_credentials(isolated_env, OTHER_PROFILES)
    proxy.faults["GetSessionToken"] = WRONG_MFA_CODE
    with pytest.raises(MfaCodeRejectedError, match="rejected the MFA code"):
        auth()
    assert path.read_bytes() == OTHER_PROFILES.encode()
    assert sorted(p.name for p in path.parent.iterdir()) == ["credentials"]  # no temp file left


def test_rejected_keys_at_auth(user: IamUser, proxy: RecordingProxy, store_keys) -> None:
    store_keys(user)
    proxy.faults["GetUser"] = aws_error("SignatureDoesNotMatch", "The request signature we calculated does not match")
    with pytest.raises(KeysRejectedError, match="secret access key"):
        auth()


def test_an_mfa_code_that_is_not_six_digits_is_refused_before_sts(
    user: IamUser, proxy: RecordingProxy, store_keys
) -> None:
    store_keys(user)
    with pytest.raises(UsageError, match="6 digits"):
        auth(code="12345")
    assert "sts:GetSessionToken" not in proxy.actions


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("12h", 43200), ("90m", 5400), ("3600s", 3600), ("3600", 3600), ("1h30m", 5400), ("36h", 129600), ("15m", 900)],
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["899s", "37h", "0", "", "12 hours", "-1h", "1d"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(UsageError):
        parse_duration(text)


def test_several_mfa_devices(proxy: RecordingProxy, moto_port: int, store_keys) -> None:
    carol = make_user(moto_port, "carol", mfa_devices=2)
    store_keys(carol)
    with pytest.raises(MfaDeviceError, match="--mfa-serial") as caught:
        auth()
    assert all(serial in str(caught.value) for serial in carol.mfa_serials)
    assert "sts:GetSessionToken" not in proxy.actions

    auth(serial=carol.mfa_serials[1])
    assert proxy.last("GetSessionToken").params["SerialNumber"] == carol.mfa_serials[1]

    ui = ScriptedUI("3", "2", "123456", interactive=True)
    authenticate("default", 3600, None, broker_for(ui))
    assert proxy.last("GetSessionToken").params["SerialNumber"] == carol.mfa_serials[1]
    assert ui.prompts[:2] == ["Choose 1-2: ", "Choose 1-2: "]

    with pytest.raises(MfaDeviceError, match="not an MFA device"):
        auth(serial="arn:aws:iam::123456789012:mfa/someone-else")


def test_no_mfa_device(proxy: RecordingProxy, moto_port: int, store_keys) -> None:
    store_keys(make_user(moto_port, "bob", mfa_devices=0))
    with pytest.raises(MfaDeviceError, match="no MFA device"):
        auth()


def test_malformed_credentials_file_is_reported_before_any_prompt_or_call(
    user: IamUser, proxy: RecordingProxy, store_keys, isolated_env: Path
) -> None:
    store_keys(user)
    path = write_credentials(isolated_env, "[work]\nregion = x\nthis line is not a setting\n")
    ui = ScriptedUI("123456")
    with pytest.raises(MalformedFileError, match=r"credentials, line 3: ") as caught:
        authenticate("default", 3600, None, broker_for(ui))
    assert str(path) in str(caught.value)
    assert ui.prompts == [] and proxy.calls == []


def test_a_file_botocore_refuses_for_a_multi_line_value_is_reported_before_any_prompt(
    user: IamUser, proxy: RecordingProxy, store_keys, isolated_env: Path
) -> None:
    store_keys(user)
    write_credentials(isolated_env, "[work]\ns3 =\n  no equals sign here\n")
    ui = ScriptedUI("123456")
    with pytest.raises(MalformedFileError, match="multi-line value"):
        authenticate("default", 3600, None, broker_for(ui))
    assert ui.prompts == [] and proxy.calls == []


# --- the network -----------------------------------------------------------------------


def test_unreachable_aws_fails_fast(user: IamUser, store_keys, monkeypatch: pytest.MonkeyPatch) -> None:
    store_keys(user)
    port = free_port()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    waits = WaitsInProcess(monkeypatch, sleep_scale=0.1)  # what it waits for, recorded (and shortened)
    with pytest.raises(AwsUnreachableError, match="could not reach AWS"):
        auth()
    default = Timeouts()
    assert waits.waits("connect") == [port] * default.attempts
    assert [t for t in waits.waits("timeout") if t is not None] == [default.connect] * default.attempts
    backoff = waits.waits("sleep")
    assert len(backoff) == default.attempts - 1 and all(0 <= b <= 2**n for n, b in enumerate(backoff))
    assert default.attempts * default.connect + sum(backoff) <= default.unreachable_seconds < 10


def test_a_hanging_endpoint_times_out(
    user: IamUser, proxy: RecordingProxy, store_keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_keys(user)
    proxy.faults["*"] = HANG
    quick = Timeouts(connect=1, read=1, attempts=2)
    waits = WaitsInProcess(monkeypatch, timeout_scale=0.5)  # recorded, and waited half as long
    with pytest.raises(AwsUnreachableError, match="iam:GetUser"):
        authenticate(
            "default", 3600, None, broker_for(ScriptedUI("123456"), lambda k, s, t, p: AwsApi(k, s, t, p, quick))
        )
    # Each attempt connects with the connect timeout, then waits the read timeout for an answer.
    assert [t for t in waits.waits("timeout") if t is not None] == [quick.connect, quick.read] * quick.attempts
    backoff = waits.waits("sleep")
    assert len(backoff) == quick.attempts - 1 and all(0 <= b <= 1 for b in backoff)
    assert quick.attempts * quick.read + sum(backoff) <= quick.silent_server_seconds < 8
    assert proxy.actions == ["iam:GetUser", "iam:GetUser"]


def test_default_timeouts_fail_within_seconds_not_minutes() -> None:
    default = Timeouts()
    assert default.silent_server_seconds <= 15 and default.unreachable_seconds <= 10


def test_server_errors_are_retried_then_reported(user: IamUser, proxy: RecordingProxy, store_keys) -> None:
    store_keys(user)
    proxy.faults["GetSessionToken"] = SERVER_ERROR
    with pytest.raises(AwsError, match="InternalFailure"):
        auth()
    assert proxy.actions.count("sts:GetSessionToken") == Timeouts().attempts


def test_retry_settings_come_from_the_usual_aws_variables(
    user: IamUser, proxy: RecordingProxy, store_keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_keys(user)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "3")
    monkeypatch.setenv("AWS_RETRY_MODE", "standard")
    proxy.faults["GetSessionToken"] = SERVER_ERROR
    with pytest.raises(AwsError):
        auth()
    assert proxy.actions.count("sts:GetSessionToken") == 3


def test_no_region_configured_uses_us_east_1(user: IamUser, proxy: RecordingProxy, store_keys) -> None:
    store_keys(user)
    auth()
    assert proxy.calls[-1].region == "us-east-1"


def test_region_comes_from_environment_or_config_file(
    user: IamUser, proxy: RecordingProxy, store_keys, isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_keys(user)
    store_keys(user, profile="work")
    config = isolated_env / "aws-config"
    config.write_text("[default]\nregion = eu-west-2\n[profile work]\nregion = ap-southeast-2\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    auth()
    assert proxy.calls[-1].region == "eu-west-2"
    auth(profile="work")
    assert proxy.calls[-1].region == "ap-southeast-2"
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    auth()
    assert proxy.calls[-1].region == "eu-central-1"


def test_signs_with_the_stored_keys_not_the_environment(
    user: IamUser, proxy: RecordingProxy, store_keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_keys(user)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENTKEY00")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
    result = auth()
    assert {c.access_key_id for c in proxy.calls if c.action != "ListAccessKeys"} == {user.access_key_id}
    assert proxy.last("ListAccessKeys").access_key_id == result.credentials.access_key_id  # the session


# --- read ------------------------------------------------------------------------------


def test_read_a_valid_session_makes_no_call(user: IamUser, proxy: RecordingProxy, store_keys) -> None:
    store_keys(user)
    token = auth().credentials.session_token
    proxy.calls.clear()
    ui = ScriptedUI()
    assert read_value("aws_session_token", "default", broker_for(ui)) == token
    assert proxy.calls == [] and ui.prompts == []


def test_read_an_expired_session_authenticates_first(user: IamUser, proxy: RecordingProxy, store_keys) -> None:
    store_keys(user)
    result = auth(duration=3600)
    proxy.unique_tokens = True
    later = (result.credentials.expiration + timedelta(minutes=1)).timestamp()
    ui = ScriptedUI("123456")
    value = read_value("aws_session_token", "default", broker_for(ui, clock=lambda: later))
    assert value != result.credentials.session_token and value.startswith("FwoGZXIvYXdzEXAMPLETOKEN")
    assert proxy.last("GetSessionToken").params["DurationSeconds"] == "43200"


def test_read_counts_a_session_about_to_end_as_expired(user: IamUser, proxy: RecordingProxy, store_keys) -> None:
    store_keys(user)
    result = auth(duration=3600)
    almost = result.credentials.expiration.timestamp() - RENEW_MARGIN_SECONDS + 1
    with pytest.raises(NoInputError):
        read_value("aws_session_token", "default", broker_for(ScriptedUI(), clock=lambda: almost))


def test_read_with_no_way_to_ask_fails_and_writes_nothing(
    user: IamUser, proxy: RecordingProxy, store_keys, isolated_env: Path
) -> None:
    store_keys(user)
    path = write_credentials(isolated_env, OTHER_PROFILES)
    with pytest.raises(NoInputError):
        read_value("aws_session_token", "default", broker_for(ScriptedUI()))
    assert path.read_bytes() == OTHER_PROFILES.encode()
    assert "sts:GetSessionToken" not in proxy.actions


def test_read_an_unknown_key(proxy: RecordingProxy) -> None:
    with pytest.raises(UsageError, match="unknown key 'region'"):
        read_value("region", "default", broker_for(ScriptedUI()))


def test_read_a_session_without_a_recorded_expiry_counts_as_missing(isolated_env: Path) -> None:
    write_credentials(
        isolated_env, "[default]\naws_access_key_id = A\naws_secret_access_key = B\naws_session_token = C\n"
    )
    assert answers.cached("default", RENEW_MARGIN_SECONDS) is None
