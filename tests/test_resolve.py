"""Issue 17: one answer to "which identity does this profile name stand for", the one
botocore gives.

botocore resolves a role profile's chain when it loads its credentials, and defers only the
AssumeRole calls: so, with no network at all, its own resolver says which roles it would
assume, in which order, and with which keys it would sign the first. `resolve` must say the
same for every configuration here (the shapes of botocore's own role tests and of the
cross-SDK assume-role tests), and refuse in one line where botocore refuses.
"""

from __future__ import annotations

from pathlib import Path

import botocore.session
import pytest
from botocore.credentials import DeferredRefreshableCredentials
from conftest import write_credentials

from stscreds import keystore
from stscreds.config import load_config
from stscreds.errors import NotInitialisedError, StscredsError, UnknownProfileError, UsageError
from stscreds.resolve import Resolver, chosen_profile, process_profile, resolve
from stscreds.sources import build
from stscreds.sources.session import session_root


def session(key: str) -> str:
    """A session as `auth` writes it, signed with `key`."""
    return (
        f"aws_access_key_id = {key}\naws_secret_access_key = secret\naws_session_token = token\n"
        "x_security_token_expires = 2099-01-01T00:00:00Z\n"
    )


def arn(name: str) -> str:
    return f"arn:aws:iam::222222222222:role/{name}"


def setup(home: Path, config: str, credentials: str = "", stscreds_profiles: tuple[str, ...] = ()) -> None:
    (home / ".aws").mkdir(exist_ok=True)
    (home / ".aws" / "config").write_text(config)
    write_credentials(home, credentials)
    for name in stscreds_profiles:
        keystore.save_keys(name, f"AKIA{name.upper():0<16}"[:20], "long-term-secret")


def botocore_chain(profile: str) -> list[str]:
    """The role ARNs botocore would assume for `profile`, first the one assumed first, then
    the key it signs that first AssumeRole with."""
    credentials = botocore.session.Session(profile=profile).get_credentials()
    assert credentials is not None
    roles: list[str] = []
    while isinstance(credentials, DeferredRefreshableCredentials):
        fetcher = credentials._refresh_using.__self__
        roles.append(fetcher._role_arn)
        credentials = fetcher._source_credentials
    return [*reversed(roles), credentials.access_key]


def stscreds_chain(profile: str) -> list[str]:
    chain = resolve(profile).chain()
    roles = [resolved.settings["role_arn"] for resolved in chain if resolved.kind == "role"]
    root = chain[-1].store.load()
    assert root is not None
    return [*reversed(roles), root.access_key_id]


CHAINS = {
    # botocore's "static credentials stop the chain": B has a session, so its own role_arn is not assumed.
    "a source with keys of its own ends the chain": (
        f"[profile A]\nrole_arn = {arn('RoleA')}\nsource_profile = B\n"
        f"[profile B]\nrole_arn = {arn('RoleB')}\nsource_profile = C\n[profile C]\nregion = x\n",
        "[B]\n" + session("ASIABBBBBBBBBBBBBBBB"),
        ("B", "C"),
        [arn("RoleA"), "ASIABBBBBBBBBBBBBBBB"],
    ),
    "a chain of roles down to a session": (
        f"[profile A]\nrole_arn = {arn('RoleA')}\nsource_profile = B\n"
        f"[profile B]\nrole_arn = {arn('RoleB')}\nsource_profile = C\n",
        "[C]\n" + session("ASIACCCCCCCCCCCCCCCC"),
        ("C",),
        [arn("RoleB"), arn("RoleA"), "ASIACCCCCCCCCCCCCCCC"],
    ),
    "a profile that names itself as its source": (
        f"[profile A]\nrole_arn = {arn('RoleA')}\nsource_profile = A\n",
        "[A]\n" + session("ASIAAAAAAAAAAAAAAAAA"),
        ("A",),
        [arn("RoleA"), "ASIAAAAAAAAAAAAAAAAA"],
    ),
    "role settings in the credentials file": (
        "[profile other]\nregion = x\n",
        f"[A]\nrole_arn = {arn('RoleA')}\nsource_profile = B\n[B]\n" + session("ASIABBBBBBBBBBBBBBBB"),
        ("B",),
        [arn("RoleA"), "ASIABBBBBBBBBBBBBBBB"],
    ),
    "the credentials file's role_arn wins over the config's": (
        f"[profile A]\nrole_arn = {arn('FromConfig')}\nsource_profile = B\n",
        f"[A]\nrole_arn = {arn('FromCredentials')}\n[B]\n" + session("ASIABBBBBBBBBBBBBBBB"),
        ("B",),
        [arn("FromCredentials"), "ASIABBBBBBBBBBBBBBBB"],
    ),
    "a top-level role with keys of its own is still assumed": (
        f"[profile A]\nrole_arn = {arn('RoleA')}\nsource_profile = B\n",
        "[A]\n" + session("ASIAAAAAAAAAAAAAAAAA") + "[B]\n" + session("ASIABBBBBBBBBBBBBBBB"),
        ("A", "B"),
        [arn("RoleA"), "ASIABBBBBBBBBBBBBBBB"],
    ),
}


@pytest.mark.parametrize(("config", "credentials", "stscreds_profiles", "expected"), CHAINS.values(), ids=CHAINS.keys())
def test_chains_are_resolved_as_botocore_resolves_them(
    config: str, credentials: str, stscreds_profiles: tuple[str, ...], expected: list[str], isolated_env: Path
) -> None:
    setup(isolated_env, config, credentials, stscreds_profiles)
    assert botocore_chain("A") == expected
    assert stscreds_chain("A") == expected


def test_credential_source_with_source_profile_is_refused_as_botocore_refuses_it(isolated_env: Path) -> None:
    setup(
        isolated_env,
        f"[profile A]\nrole_arn = {arn('RoleA')}\nsource_profile = B\ncredential_source = Environment\n",
        "[B]\n" + session("ASIABBBBBBBBBBBBBBBB"),
        ("B",),
    )
    with pytest.raises(botocore.exceptions.InvalidConfigError):
        botocore_chain("A")
    with pytest.raises(UsageError, match="both source_profile and credential_source"):
        resolve("A")


def test_a_cycle_is_refused_as_botocore_refuses_it(isolated_env: Path) -> None:
    setup(
        isolated_env,
        f"[profile A]\nrole_arn = {arn('A')}\nsource_profile = B\n[profile B]\nrole_arn = {arn('B')}\nsource_profile = A\n",
    )
    with pytest.raises(botocore.exceptions.InfiniteLoopConfigError):
        botocore_chain("A")
    with pytest.raises(UsageError, match="a cycle in source_profile: A -> B -> A"):
        resolve("A")


def test_a_profile_with_a_session_and_sso_settings_is_an_sso_profile(isolated_env: Path) -> None:
    """botocore's SSO provider comes before the shared credentials file, named on its own and
    as a source_profile alike."""
    setup(
        isolated_env,
        "[profile S]\nsso_start_url = https://example.awsapps.com/start\nsso_region = eu-west-1\n"
        f"sso_account_id = 111111111111\nsso_role_name = Admin\n[profile A]\nrole_arn = {arn('A')}\nsource_profile = S\n",
        "[S]\n" + session("ASIASSSSSSSSSSSSSSSS"),
        ("S",),
    )
    assert botocore.session.Session(profile="S").get_credentials().method == "sso"
    assert resolve("S").kind == "sso"
    assert [source.kind for source in resolve("A").chain()] == ["role", "sso"]


def test_an_alias_stands_for_whatever_its_target_is(isolated_env: Path) -> None:
    setup(
        isolated_env,
        f"[profile prod]\nrole_arn = {arn('Deploy')}\nsource_profile = default\n"
        "[profile prod-cached]\ncredential_process = stscreds credential-process --profile prod\n"
        "[profile mfa]\ncredential_process = /usr/local/bin/stscreds credential-process\n"
        "[profile loop]\ncredential_process = stscreds credential-process --profile loop\n"
        f"[profile via-alias]\nrole_arn = {arn('Other')}\nsource_profile = prod-cached\n",
        "[default]\n" + session("ASIADDDDDDDDDDDDDDDD"),
        ("default",),
    )
    resolver = Resolver(load_config())
    found = resolver.resolve("prod-cached")
    assert (found.kind, found.profile, resolver.aliases) == ("role", "prod", ["prod-cached"])
    assert (resolve("mfa").kind, resolve("mfa").profile) == ("session", "default")
    assert stscreds_chain("via-alias") == [arn("Deploy"), arn("Other"), "ASIADDDDDDDDDDDDDDDD"]
    with pytest.raises(UsageError, match="leads back to itself"):
        resolve("loop")


def test_aws_profile_chooses_the_profile_as_botocore_does() -> None:
    assert chosen_profile(None, {}) == "default"
    assert chosen_profile(None, {"AWS_PROFILE": "prod"}) == "prod"
    assert chosen_profile(None, {"AWS_DEFAULT_PROFILE": "dev", "AWS_PROFILE": "prod"}) == "dev"  # botocore's order
    assert chosen_profile(None, {"AWS_DEFAULT_PROFILE": "", "AWS_PROFILE": "prod"}) == "default"
    assert chosen_profile("flag", {"AWS_PROFILE": "prod"}) == "flag"
    session = botocore.session.Session
    for environ in ({"AWS_PROFILE": "prod"}, {"AWS_DEFAULT_PROFILE": "dev", "AWS_PROFILE": "prod"}):
        import os

        saved = dict(os.environ)
        os.environ.update(environ)
        try:
            assert session().get_config_variable("profile") == chosen_profile(None, environ)
        finally:
            os.environ.clear()
            os.environ.update(saved)


def test_credential_process_serves_the_profile_whose_process_it_is(isolated_env: Path) -> None:
    """An SDK runs a source_profile's credential_process with AWS_PROFILE naming the profile
    it started from: `AWS_PROFILE=prod` runs mfa's process, which stands for `default`."""
    setup(
        isolated_env,
        f"[profile prod]\nrole_arn = {arn('Deploy')}\nsource_profile = mfa\n"
        "[profile mfa]\ncredential_process = stscreds credential-process\n"
        f"[profile other]\nrole_arn = {arn('Other')}\nsource_profile = default\n",
        "[default]\n" + session("ASIADDDDDDDDDDDDDDDD"),
        ("default",),
    )
    assert process_profile(None, {"AWS_PROFILE": "prod"}) == "default"
    assert process_profile(None, {"AWS_PROFILE": "mfa"}) == "mfa"  # which stands for default
    assert process_profile(None, {"AWS_PROFILE": "other"}) == "other"  # run by hand: what it names
    assert process_profile("prod", {"AWS_PROFILE": "other"}) == "prod"


def test_an_unknown_name_says_so_and_suggests_one(isolated_env: Path) -> None:
    setup(isolated_env, "[profile prod]\nregion = x\n", "[default]\n" + session("ASIADDDDDDDDDDDDDDDD"), ("default",))
    with pytest.raises(UnknownProfileError, match=r"no profile 'prdo' in .*; did you mean 'prod'\?"):
        resolve("prdo")


def test_a_fresh_home_points_at_init(isolated_env: Path) -> None:
    with pytest.raises(NotInitialisedError, match="run `stscreds init` first"):
        resolve("default")


def test_a_role_or_sso_profile_given_to_auth_names_what_to_run(isolated_env: Path) -> None:
    setup(
        isolated_env,
        f"[profile prod]\nrole_arn = {arn('Deploy')}\nsource_profile = default\n"
        "[profile dev]\nsso_start_url = https://example.awsapps.com/start\nsso_region = eu-west-1\n"
        "sso_account_id = 111111111111\nsso_role_name = Admin\n",
        "",
        ("default",),
    )
    with pytest.raises(
        UsageError, match="'prod' is a role profile whose session comes from 'default': run `stscreds auth`"
    ):
        session_root("prod", "auth")
    with pytest.raises(UsageError, match="run `stscreds sso login --profile dev`"):
        session_root("dev", "whoami")
    with pytest.raises(NotInitialisedError, match="run `stscreds init --profile prdo` first"):
        session_root("prdo", "auth")
    assert session_root("default", "auth").profile == "default"


def test_keys_of_another_tool_are_served_while_they_last_and_long_term_ones_never(isolated_env: Path) -> None:
    setup(
        isolated_env,
        "",
        "[saml]\n" + session("ASIASAMLSAMLSAMLSAML") + "[plain]\naws_access_key_id = AKIAPLAINPLAINPLAIN1\n"
        "aws_secret_access_key = s\n",
    )
    assert resolve("saml").store.load().access_key_id == "ASIASAMLSAMLSAMLSAML"  # type: ignore[union-attr]
    with pytest.raises(StscredsError, match="init --import --profile plain"):
        build(resolve("plain")).prepare(None)  # type: ignore[arg-type]
