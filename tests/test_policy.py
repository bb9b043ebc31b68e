"""policies/mfa-required.json: valid, lint-clean, and it allows without MFA exactly what
stscreds calls with long-term keys."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from awsproxy import RecordingProxy
from conftest import IamUser, ScriptedUI, broker_for
from parliament import analyze_policy_string

from stscreds.aws import AwsApi
from stscreds.commands.assume import assume
from stscreds.commands.auth import authenticate
from stscreds.commands.init import init_profile
from stscreds.commands.rotate import rotate

POLICY = Path(__file__).parent.parent / "policies" / "mfa-required.json"
OWN_USER = "arn:aws:iam::*:user/${aws:username}"
MFA_KEY = "aws:MultiFactorAuthPresent"


def statements() -> list[dict[str, Any]]:
    return list(json.loads(POLICY.read_text())["Statement"])


def as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def needs_no_mfa(statement: dict[str, Any]) -> bool:
    return MFA_KEY not in json.dumps(statement.get("Condition", {}))


def allowed_without_mfa() -> set[str]:
    return {
        action
        for statement in statements()
        if statement["Effect"] == "Allow" and needs_no_mfa(statement)
        for action in as_list(statement["Action"])
    }


def test_policy_is_valid_json_and_lints_clean_with_parliament() -> None:
    policy = analyze_policy_string(POLICY.read_text())
    assert [(f.issue, f.detail) for f in policy.findings] == []


def test_parliament_would_notice_a_mistake() -> None:
    broken = POLICY.read_text().replace('"iam:ListMFADevices"', '"iam:ListMfaDevice"')
    assert "UNKNOWN_ACTION" in {f.issue for f in analyze_policy_string(broken).findings}


def test_the_no_mfa_statements_cover_the_users_own_arn_only() -> None:
    for statement in statements():
        if statement["Effect"] != "Allow":
            continue
        assert needs_no_mfa(statement)
        for action in as_list(statement["Action"]):
            expected = "*" if action == "sts:GetSessionToken" else OWN_USER
            assert statement["Resource"] == expected, action


def test_everything_else_is_denied_without_mfa() -> None:
    denials = [s for s in statements() if s["Effect"] == "Deny"]
    assert all(s["Condition"] == {"BoolIfExists": {MFA_KEY: "false"}} for s in denials)
    blanket = next(s for s in denials if "NotAction" in s)
    assert set(blanket["NotAction"]) == allowed_without_mfa() and blanket["Resource"] == "*"
    own_user_only = next(s for s in denials if "NotResource" in s)
    assert set(own_user_only["Action"]) == {"iam:GetUser", "iam:ListMFADevices"}
    assert own_user_only["NotResource"] == OWN_USER


def test_stscreds_calls_exactly_what_the_policy_allows_without_mfa(user: IamUser, proxy: RecordingProxy) -> None:
    init_profile("default", ScriptedUI(user.access_key_id, user.secret_access_key), AwsApi, environ={})
    authenticate("default", 3600, None, broker_for(ScriptedUI("123456")))
    with_long_term_keys = {call.iam_action for call in proxy.calls if call.access_key_id == user.access_key_id}
    assert with_long_term_keys == allowed_without_mfa()
    # Anything else (the key's age, looked up once) is signed with the new session.
    assert {call.iam_action for call in proxy.calls if call.access_key_id != user.access_key_id} == {
        "iam:ListAccessKeys"
    }
    # The IAM calls name the user's own ARN, the only resource the policy grants.
    assert {call.params.get("UserName") for call in proxy.calls if call.action == "ListMFADevices"} == {user.name}


# --- roles: the trust policy, the group's policy, and how stscreds signs AssumeRole ----------

TRUST = Path(__file__).parent.parent / "policies" / "trust-mfa.json"
ASSUME = Path(__file__).parent.parent / "policies" / "assume-roles.json"


def test_the_trust_policy_lets_one_account_in_with_mfa_only() -> None:
    (statement,) = json.loads(TRUST.read_text())["Statement"]
    assert statement["Effect"] == "Allow" and statement["Action"] == "sts:AssumeRole"
    principal = statement["Principal"]["AWS"]
    assert principal.startswith("arn:aws:iam::") and principal.endswith(":root") and principal.count(":") == 5
    assert statement["Condition"] == {"Bool": {MFA_KEY: "true"}}  # Bool, not BoolIfExists: absent is refused


def test_the_groups_policy_lints_clean_and_asks_for_mfa() -> None:
    assert [(f.issue, f.detail) for f in analyze_policy_string(ASSUME.read_text()).findings] == []
    (statement,) = json.loads(ASSUME.read_text())["Statement"]
    assert statement["Action"] == "sts:AssumeRole" and ":role/" in statement["Resource"]
    assert statement["Condition"] == {"Bool": {MFA_KEY: "true"}}


def test_every_assume_role_is_signed_with_the_mfa_session(
    user: IamUser, proxy: RecordingProxy, isolated_env: Path
) -> None:
    init_profile("default", ScriptedUI(user.access_key_id, user.secret_access_key), AwsApi, environ={})
    config = isolated_env / ".aws" / "config"
    config.parent.mkdir(exist_ok=True)
    config.write_text(
        "[profile a]\nrole_arn = arn:aws:iam::222222222222:role/Deploy\nsource_profile = default\n"
        "[profile b]\nrole_arn = arn:aws:iam::333333333333:role/Deploy\nsource_profile = a\n"
    )
    proxy.unique_tokens = True  # session keys start ASIA, as AWS's do (moto's are fixed, AKIA)
    results = assume(["a", "b"], False, broker_for(ScriptedUI("123456")), 4)
    assert all(not isinstance(item.result, Exception) for item in results)
    assume_calls = [call for call in proxy.calls if call.action == "AssumeRole"]
    assert len(assume_calls) == 2
    for call in assume_calls:
        assert call.access_key_id.startswith("ASIA") and call.access_key_id != user.access_key_id
        assert call.session_token  # a session's signature carries its token
    with_long_term_keys = {call.iam_action for call in proxy.calls if call.access_key_id == user.access_key_id}
    assert with_long_term_keys == allowed_without_mfa()


OWN_KEYS = Path(__file__).parent.parent / "policies" / "own-keys.json"


def test_the_own_keys_policy_lints_clean_and_covers_what_rotate_calls(
    user: IamUser, proxy: RecordingProxy, isolated_env: Path
) -> None:
    assert [(f.issue, f.detail) for f in analyze_policy_string(OWN_KEYS.read_text()).findings] == []
    (statement,) = json.loads(OWN_KEYS.read_text())["Statement"]
    assert statement["Resource"] == OWN_USER and statement["Condition"] == {"Bool": {MFA_KEY: "true"}}
    init_profile("default", ScriptedUI(user.access_key_id, user.secret_access_key), AwsApi, environ={})
    proxy.unique_tokens = True
    rotate("default", broker_for(ScriptedUI("123456")), yes=True)
    with_the_session = {c.iam_action for c in proxy.calls if c.access_key_id.startswith("ASIA") and c.service == "iam"}
    assert with_the_session == set(statement["Action"])
