"""`env --format` (issue 21), `env --shell bash|zsh` and `env --unset` (issue 20.8), the
profile's region in `env` and `exec` (issue 19.6), and the warning about a long-term key in the
environment (issue 20.5).

`tests/export_vectors.json` holds what AWS CLI v2's own formatter classes print
(`aws configure export-credentials --format F`, from aws/aws-cli's v2 branch, see its `_about`):
each format is compared with them byte for byte, and each is run by the program that consumes
it: bash `eval`, `env -i ... sh -c`, docker's `--env-file` parser, fish, PowerShell (pwsh when
installed, else a model of its assignment syntax), cmd.exe's `set` syntax, botocore's
credential_process provider.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import botocore.session
import pytest
from conftest import STSCREDS, cli, cli_env, examples, run, write_credentials
from hypothesis import given, settings
from hypothesis import strategies as st

from stscreds import answers, exports, outputs
from stscreds.__main__ import fast_answer
from stscreds.credentials import parse_expiration
from stscreds.errors import StscredsError

VECTORS = json.loads((Path(__file__).parent / "export_vectors.json").read_text())
CLI_FORMATS = ("env", "env-no-export", "powershell", "windows-cmd", "fish", "process")
HOSTILE = "no_escaping_of_hostile_values"
# What AWS issues: every value is of these characters (and the CLI prints them unquoted).
ACCESS_KEY_ID, SECRET = "ASIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE/Token+With=Padding=="
EXPIRES = "2999-01-01T00:00:00Z"
SESSION = (
    f"[default]\naws_access_key_id = {ACCESS_KEY_ID}\naws_secret_access_key = {SECRET}\n"
    f"aws_session_token = {TOKEN}\nx_security_token_expires = {EXPIRES}\n"
)
# The four values as the CLI exports them, for these credentials.
CLI_VALUES = {
    "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
    "AWS_SECRET_ACCESS_KEY": SECRET,
    "AWS_SESSION_TOKEN": TOKEN,
    "AWS_CREDENTIAL_EXPIRATION": "2999-01-01T00:00:00+00:00",
}


def vector_cases(include_hostile: bool = False) -> list[tuple[str, dict[str, object]]]:
    return [
        (form, case) for form in CLI_FORMATS for case in VECTORS[form] if include_hostile or case["name"] != HOSTILE
    ]


def cli_input(case: dict[str, object]) -> dict[str, str]:
    given_ = case["credentials"]
    assert isinstance(given_, dict)
    return exports.cli_variables(
        given_["AccessKeyId"], given_["SecretAccessKey"], given_["SessionToken"], given_["Expiration"]
    )


def with_session(home: Path, config: str = "") -> None:
    write_credentials(home, SESSION)
    if config:
        (home / ".aws" / "config").write_text(config)


# --- byte for byte what AWS CLI v2 prints -------------------------------------------------------


@pytest.mark.parametrize(("form", "case"), vector_cases(), ids=[f"{f}-{c['name']}" for f, c in vector_cases()])
def test_every_format_prints_what_the_aws_cli_prints(form: str, case: dict[str, object]) -> None:
    assert exports.export_lines(form, cli_input(case)) == case["output"]


@settings(max_examples=examples(100))
@given(st.integers(min_value=0, max_value=253402300799))
def test_the_expiry_is_printed_as_the_aws_cli_prints_it(seconds: int) -> None:
    """The CLI prints botocore's expiry with datetime.isoformat(): +00:00, not Z."""
    moment = datetime.fromtimestamp(seconds, timezone.utc)
    assert exports.iso_expiration(seconds) == moment.isoformat()
    assert parse_expiration(exports.iso_expiration(seconds)) == seconds


@pytest.mark.parametrize("form", exports.FORMATS)
def test_env_format_prints_the_aws_clis_lines_then_the_security_token_and_the_region(
    form: str, isolated_env: Path
) -> None:
    """Through the script's entry point: the CLI's lines for the stored session come first, byte for
    byte; then AWS_SECURITY_TOKEN and the profile's region (not in `process`)."""
    with_session(isolated_env, "[default]\nregion = eu-west-1\n")
    done = cli(isolated_env, "env", "--format", form)
    assert (done.returncode, done.stderr) == (0, "")
    cli_form = "env-no-export" if form == "dotenv" else form  # dotenv: the same lines, for docker
    expected = next(c for c in VECTORS[cli_form] if c["name"] == "token_and_expiration")["output"]
    expected = expected.replace("AKIAIOSFODNN7EXAMPLE", ACCESS_KEY_ID)
    expected = expected.replace("2036-11-24T07:12:00+00:00", CLI_VALUES["AWS_CREDENTIAL_EXPIRATION"])
    assert done.stdout.startswith(expected)
    added = done.stdout[len(expected) :]
    if form == "process":
        assert added == ""
    else:
        extra = {"AWS_SECURITY_TOKEN": TOKEN, "AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-1"}
        assert added == exports.export_lines(form, extra)


def test_values_the_aws_cli_would_expand_are_quoted_or_refused(tmp_path: Path) -> None:
    """The CLI prints values unquoted: a `$`, a quote or a `;` would be expanded or run. stscreds
    prints every PLAIN value (all AWS issues) as the CLI does, quotes the others in the
    shell's literal quotes, and refuses them where a format has no quoting (cmd, docker)."""
    for form, case in vector_cases(include_hostile=True):
        if case["name"] != HOSTILE:
            continue
        variables = cli_input(case)
        if form == "env-no-export":  # docker's --env-file has no quoting either
            with pytest.raises(StscredsError):
                exports.export_lines("dotenv", variables)
        if form == "windows-cmd":
            with pytest.raises(StscredsError) as refused:
                exports.export_lines(form, variables)
            assert not any(value in str(refused.value) for value in variables.values())
            assert consumers["windows-cmd"](str(case["output"]), tmp_path) != variables  # the CLI's: broken
            continue
        ours = exports.export_lines(form, variables)
        if form == "process":  # JSON escapes: the same bytes
            assert ours == case["output"]
            continue
        assert ours != case["output"]
        assert consumers[form](ours, tmp_path) == variables, form
    with pytest.raises(StscredsError):
        exports.export_lines("dotenv", {"AWS_SESSION_TOKEN": "a\nB=c"})


plain_or_not = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r\n"), max_size=12)


@settings(max_examples=examples(20))
@given(st.lists(st.one_of(st.text(alphabet=sorted(exports.PLAIN), max_size=30), plain_or_not), min_size=1, max_size=4))
def test_each_consumer_reads_back_exactly_the_values(values: list[str]) -> None:
    """Whatever the values, each format's consumer sets exactly them, or the format refuses."""
    variables = {f"V{i}": value for i, value in enumerate(values)}
    folder = Path(__import__("tempfile").mkdtemp())
    try:
        for form, consume in consumers.items():
            if form == "fish" and shutil.which("fish") is None:
                continue
            try:
                text = exports.export_lines(form, variables)
            except StscredsError:
                assert (form == "windows-cmd" and not all(v and exports.plain(v) for v in values)) or (
                    form == "dotenv" and not all(exports.plain(v) for v in values)
                )
                continue
            assert consume(text, folder) == variables, (form, text)
    finally:
        shutil.rmtree(folder)


def test_the_help_names_every_format() -> None:
    assert all(form in answers.FORMAT.help for form in exports.FORMATS)


# --- each format, run by its consumer ----------------------------------------------------------


def bash_env(text: str, folder: Path) -> dict[str, str]:
    return _read_back(["bash", "-c", 'eval "$1"; env -0', "bash", text])


def sh_no_export(text: str, folder: Path) -> dict[str, str]:
    """env-no-export, as POSIX sh reads it, in an empty environment (`set -a` exports them)."""
    return _read_back(["env", "-i", "/bin/sh", "-c", 'set -a; eval "$1"; env -0', "sh", text])


def fish_source(text: str, folder: Path) -> dict[str, str]:
    script = folder / "script.fish"
    script.write_text(text)
    return _read_back(["fish", "-c", f"source {script}; env -0"])


# The variables the consumers are asked about: the tests' own, and every one `env` sets.
NAMES = ("V0", "V1", "V2", "V3", *exports.CLI_VARIABLES, *exports.ADDED_VARIABLES, *outputs.HOOK_VARIABLES)


def _read_back(argv: list[str]) -> dict[str, str]:
    """Run `argv`, which ends with `env -0`: the variables of NAMES it has."""
    done = subprocess.run(argv, capture_output=True, timeout=30)
    assert done.returncode == 0, done.stderr
    everything = dict(item.split("=", 1) for item in done.stdout.decode().split("\0") if "=" in item)
    return {name: everything[name] for name in NAMES if name in everything}


def docker_env_file(text: str, folder: Path) -> dict[str, str]:
    """docker's `--env-file` (docker/cli opts/file.go, parseKeyValueFile): lines split on \\n
    (a \\r before it dropped), leading whitespace trimmed, `#` lines and blank lines skipped,
    the name up to the first `=` (no blanks in it), the value the rest of the line, as it is."""
    found: dict[str, str] = {}
    for number, raw in enumerate(
        text.encode().split(b"\n")[:-1] if text.endswith("\n") else text.encode().split(b"\n")
    ):
        line = raw.removesuffix(b"\r").decode("utf-8")  # docker refuses invalid UTF-8 too
        if number == 0:
            line = line.removeprefix("\ufeff")
        line = line.lstrip()
        if not line or line.startswith("#"):
            continue
        name, equals, value = line.partition("=")
        name = name.lstrip(" \t")
        assert name and not any(c in name for c in " \t"), f"docker refuses the name {name!r}"
        assert equals, "a name alone takes its value from docker's own environment"
        found[name] = value
    return found


def test_the_docker_env_file_model_reads_as_docker_documents() -> None:
    """docker's documented behaviour: no quote removal, no expansion, comments, blank lines."""
    text = '# comment\n\n  A="quoted"\nB=x y $HOME\r\nC=\nD=a=b\n'
    assert docker_env_file(text, Path()) == {"A": '"quoted"', "B": "x y $HOME", "C": "", "D": "a=b"}


class NotLiteral(Exception):
    """A PowerShell or cmd line that would expand something, run something, or not parse."""


_PS_SINGLE = "'\u2018\u2019\u201a\u201b"
_PS_DOUBLE = '"\u201c\u201d\u201e'


def powershell_model(text: str, folder: Path) -> dict[str, str]:
    """PowerShell's `$Env:NAME = <string>` statements: a single-quoted string is literal (a
    quote doubled is one quote; PowerShell takes the curly quotes as quotes too); a
    double-quoted one expands `$...` and `` ` `` escapes, which our lines must not rely on."""
    found: dict[str, str] = {}
    for line in text.split("\n")[:-1]:  # PowerShell ends lines at \n (and \r\n), nothing else
        line = line.removesuffix("\r")
        assert line.startswith("$Env:"), line
        name, _, rest = line[5:].partition("=")
        name, rest = name.strip(), rest.strip()
        if rest == "$null":
            found.pop(name, None)
            continue
        if not rest or (rest[0] not in _PS_SINGLE and rest[0] not in _PS_DOUBLE):
            raise NotLiteral(line)
        quotes, value, index = (_PS_SINGLE if rest[0] in _PS_SINGLE else _PS_DOUBLE), [], 1
        while True:
            if index >= len(rest):
                raise NotLiteral(f"unterminated: {line}")
            char = rest[index]
            if char in quotes:
                if index + 1 < len(rest) and rest[index + 1] in quotes:
                    value.append(char)
                    index += 2
                    continue
                break
            if quotes is _PS_DOUBLE and char in "$`":
                raise NotLiteral(f"expands: {line}")
            value.append(char)
            index += 1
        if rest[index + 1 :].strip():
            raise NotLiteral(f"more after the string: {line}")
        found[name] = "".join(value)
    return found


def powershell(text: str, folder: Path) -> dict[str, str]:
    pwsh = shutil.which("pwsh")
    if pwsh is None:
        return powershell_model(text, folder)
    script = folder / "script.ps1"
    script.write_text(text)
    names = [name for name in NAMES if name in text]
    show = "[Console]::Out.Write((" + ",".join(f'"{n}=" + $Env:{n}' for n in names) + ' -join "`0") + "`0")'
    done = subprocess.run([pwsh, "-NoProfile", "-Command", f". {script}; {show}"], capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return dict(item.split("=", 1) for item in done.stdout.decode().split("\0") if "=" in item and item[-1:] != "=")


def windows_cmd(text: str, folder: Path) -> dict[str, str]:
    """cmd.exe running the lines from a batch file: phase 1 expands %NAME% (%% is one %), phase
    2 takes ^ as an escape and & | as command separators outside double quotes, < > as
    redirections; then `set NAME=VALUE` sets NAME to the rest of its command (nothing trimmed),
    and `set NAME=` removes it."""
    found: dict[str, str] = {}
    for raw in text.split("\n"):
        line = raw.removesuffix("\r")
        expanded, index = [], 0
        while index < len(line):
            if line[index] == "%":
                end = line.find("%", index + 1)
                if end == index + 1:
                    expanded.append("%")
                elif end != -1:
                    expanded.append(found.get(line[index + 1 : end].upper(), ""))
                else:
                    end = index
                index = end + 1
                continue
            expanded.append(line[index])
            index += 1
        commands, current, quoted, index = [], [], False, 0
        line = "".join(expanded)
        while index < len(line):
            char = line[index]
            if char == '"':
                quoted = not quoted
                current.append(char)
            elif quoted:
                current.append(char)
            elif char == "^":
                current.append(line[index + 1 : index + 2])
                index += 1
            elif char in "&|":
                commands.append("".join(current))
                current = []
            elif char in "<>":
                raise NotLiteral(f"a redirection: {raw}")
            else:
                current.append(char)
            index += 1
        commands.append("".join(current))
        for command in commands:
            command = command.lstrip(" \t")
            if not command:
                continue
            verb, _, rest = command.partition(" ")
            if verb.lower() != "set":
                return {"not a set command": command}
            name, _, value = rest.partition("=")
            if value:
                found[name.upper()] = value
            else:
                found.pop(name.upper(), None)
    return found


consumers = {
    "env": bash_env,
    "env-no-export": sh_no_export,
    "dotenv": docker_env_file,
    "fish": fish_source,
    "powershell": powershell,
    "windows-cmd": windows_cmd,
}


def test_env_format_is_evaluated_by_bash_and_unset_removes_it(isolated_env: Path) -> None:
    with_session(isolated_env, "[default]\nregion = eu-west-1\n")
    env = cli_env(isolated_env, AWS_SECURITY_TOKEN="stale")
    script = (
        f'eval "$({STSCREDS} env --format env)" && printf "%s\\n" "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" '
        '"$AWS_SESSION_TOKEN" "$AWS_SECURITY_TOKEN" "$AWS_CREDENTIAL_EXPIRATION" "$AWS_REGION" "$AWS_DEFAULT_REGION" '
        f'&& eval "$({STSCREDS} env --format env --unset)" && env | grep -c "^AWS_" || true'
    )
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, timeout=60)
    assert done.stderr == ""
    assert done.stdout.splitlines() == [
        ACCESS_KEY_ID,
        SECRET,
        TOKEN,
        TOKEN,
        CLI_VALUES["AWS_CREDENTIAL_EXPIRATION"],
        "eu-west-1",
        "eu-west-1",
        "0",
    ]


def test_env_no_export_runs_under_env_i_sh_c(isolated_env: Path) -> None:
    """`env -i $(stscreds env --format env-no-export) sh -c ...`: each line is one word."""
    with_session(isolated_env)
    script = f"env -i $({STSCREDS} env --format env-no-export) /bin/sh -c 'env -0'"
    done = subprocess.run(["bash", "-c", script], capture_output=True, env=cli_env(isolated_env), timeout=60)
    assert done.returncode == 0, done.stderr
    seen = dict(item.split("=", 1) for item in done.stdout.decode().split("\0") if "=" in item)
    assert {name: seen[name] for name in CLI_VALUES} == CLI_VALUES
    assert seen["AWS_SECURITY_TOKEN"] == TOKEN and "AWS_REGION" not in seen


@pytest.mark.parametrize("form", ["dotenv", "windows-cmd", "powershell", "fish"])
def test_each_format_is_read_by_its_consumer(form: str, isolated_env: Path, tmp_path: Path) -> None:
    if form == "fish" and shutil.which("fish") is None:
        pytest.skip("fish is not installed")
    with_session(isolated_env, "[default]\nregion = eu-west-1\n")
    done = cli(isolated_env, "env", "--format", form)
    assert done.returncode == 0, done.stderr
    expected = {**CLI_VALUES, "AWS_SECURITY_TOKEN": TOKEN, "AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-1"}
    assert consumers[form](done.stdout, tmp_path) == expected
    if form != "dotenv":
        removed = cli(isolated_env, "env", "--format", form, "--unset").stdout
        assert consumers[form](done.stdout + removed, tmp_path) == {}


def test_process_format_is_what_botocores_credential_process_reads(isolated_env: Path, tmp_path: Path) -> None:
    with_session(isolated_env)
    done = cli(isolated_env, "env", "--format", "process")
    assert done.returncode == 0, done.stderr
    output = tmp_path / "credentials.json"
    output.write_text(done.stdout)
    config = tmp_path / "config"
    config.write_text(f"[profile p]\ncredential_process = cat {output}\n")
    session = botocore.session.Session(profile="p")
    session.set_config_variable("config_file", str(config))
    session.set_config_variable("credentials_file", str(tmp_path / "none"))
    credentials = session.get_credentials()
    assert credentials.get_frozen_credentials()[:3] == (ACCESS_KEY_ID, SECRET, TOKEN)
    assert credentials._expiry_time == datetime(2999, 1, 1, tzinfo=timezone.utc)


# --- --shell bash and zsh, and --unset -----------------------------------------------------------


def test_bash_and_zsh_are_what_sh_means(isolated_env: Path) -> None:
    with_session(isolated_env)
    outputs_ = {shell: fast_answer(["env", "--shell", shell]) for shell in ("sh", "bash", "zsh")}
    assert outputs_["sh"] is not None and len(set(outputs_.values())) == 1
    done = cli(isolated_env, "env", "-s", "zsh")
    assert (done.returncode, done.stdout) == (0, outputs_["sh"])


@pytest.mark.parametrize("shell", ["sh", "fish", "powershell"])
def test_unset_removes_every_variable_env_sets(shell: str, isolated_env: Path, tmp_path: Path) -> None:
    with_session(isolated_env, "[default]\nregion = eu-west-1\n")
    env = cli(isolated_env, "env", "--shell", shell).stdout
    unset = cli(isolated_env, "env", "--shell", shell, "--unset").stdout
    assert len(env.splitlines()) == len(unset.splitlines()) == 9  # the region, and the prompt hook's two
    names = [line.split()[1] if shell == "sh" else line.split()[2] for line in unset.splitlines()]
    if shell == "powershell":
        names = [line.split()[0].removeprefix("$Env:") for line in unset.splitlines()]
    assert all(name in env for name in names)
    if shell == "sh":
        script = 'eval "$1"; eval "$2"; env | grep -c -e "^AWS_" -e "^STSCREDS_" || true'
        clean = {"PATH": os.environ["PATH"]}  # nothing AWS_ or STSCREDS_ of the test's own (CI sets one)
        done = subprocess.run(["bash", "-c", script, "bash", env, unset], capture_output=True, text=True, env=clean)
        assert done.stdout == "0\n", done.stderr
    elif shell == "fish" and shutil.which("fish"):
        (tmp_path / "s.fish").write_text(env + unset)
        done = subprocess.run(["fish", "-c", f"source {tmp_path / 's.fish'}; env"], capture_output=True, text=True)
        assert done.returncode == 0 and not [line for line in done.stdout.splitlines() if "AWS_" in line]
    elif shell == "powershell":
        assert powershell_model(unset, tmp_path) == {}


def test_unset_needs_no_credentials_and_no_file(isolated_env: Path) -> None:
    """The lines depend on the shell alone: nothing set up, a broken config, no prompt."""
    (isolated_env / ".aws").mkdir()
    (isolated_env / ".aws" / "config").write_text("not an ini file\n")
    done = cli(isolated_env, "env", "--unset")
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == fast_answer(["env", "--unset"]) == exports.shell_unset("sh")


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--shell", "sh", "--format", "env"], "--shell and --format"),
        (["--format", "yaml"], "unknown format 'yaml'"),
        (["--format", "process", "--unset"], "--unset is for the formats a shell runs"),
        (["--format", "dotenv", "--unset"], "--unset is for the formats a shell runs"),
        (["--shell", "tcsh", "--unset"], "unknown shell 'tcsh'"),
    ],
)
def test_a_choice_env_cannot_print_is_one_line(args: list[str], said: str, isolated_env: Path) -> None:
    with_session(isolated_env)
    done = cli(isolated_env, "env", *args)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith("stscreds: ") and said in done.stderr and done.stderr.count("\n") == 1


def test_env_formats_are_answered_by_the_fast_path_as_the_full_cli_answers(
    isolated_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from stscreds.cli.main import app

    with_session(isolated_env, "[default]\nregion = eu-west-1\n")
    for args in (
        *(["env", "--format", form] for form in exports.FORMATS),
        ["env", "--format=fish", "--unset"],
        ["env", "-s", "bash"],
        ["env", "--unset", "-s", "powershell"],
    ):
        fast = fast_answer(args)
        assert fast is not None, args
        capsys.readouterr()
        assert app(args, prog_name="stscreds", standalone_mode=False) in (None, 0)
        assert capsys.readouterr().out == fast, args


# --- the profile's region goes with its credentials (issue 19.6) ----------------------------------

REGION_CONFIG = """\
[default]
region = us-west-2

[profile prod]
role_arn = arn:aws:iam::222222222222:role/Deploy
source_profile = default
region = eu-west-1

[profile prod-readonly]
role_arn = arn:aws:iam::222222222222:role/ReadOnly
source_profile = prod

[profile from-credentials]
role_arn = arn:aws:iam::222222222222:role/Other
source_profile = default
region = eu-west-1
"""
ROLE_CACHE = "".join(
    f"[{name}]\naws_access_key_id = ASIAROLEROLEROLEROLE\naws_secret_access_key = s\naws_session_token = t\n"
    f"x_security_token_expires = {EXPIRES}\nrole_arn = arn:aws:iam::222222222222:role/{role}\n"
    f"source_profile = {source}\nroot = session.default\n\n"
    for name, role, source in (
        ("prod", "Deploy", "default"),
        ("prod-readonly", "ReadOnly", "prod"),
        ("from-credentials", "Other", "default"),
    )
)


def botocore_region(home: Path, profile: str) -> str | None:
    session = botocore.session.Session(profile=profile)
    session.set_config_variable("config_file", str(home / ".aws" / "config"))
    session.set_config_variable("credentials_file", str(home / ".aws" / "credentials"))
    region = session.get_config_variable("region")
    return region if isinstance(region, str) else None


def test_env_and_exec_carry_the_named_profiles_region_as_botocore_reads_it(isolated_env: Path) -> None:
    """`region` of the very profile named, both files merged (the credentials file's wins):
    not [default]'s, nor the source_profile's."""
    write_credentials(isolated_env, SESSION + "\n[from-credentials]\nregion = ap-south-1\n")
    (isolated_env / ".aws" / "config").write_text(REGION_CONFIG)
    (isolated_env / ".stscreds").mkdir(mode=0o700)
    (isolated_env / ".stscreds" / "cache").write_text(ROLE_CACHE)
    show = 'printf "%s|%s\\n" "${AWS_REGION-unset}" "${AWS_DEFAULT_REGION-unset}"'
    for profile in ("default", "prod", "prod-readonly", "from-credentials"):
        expected = botocore_region(isolated_env, profile)
        seen = f"{expected}|{expected}" if expected else "unset|unset"
        done = run(isolated_env, "exec", "--profile", profile, "--", "sh", "-c", show)
        assert (done.returncode, done.stdout) == (0, seen + "\n"), (profile, done.stderr)
        script = f'eval "$({STSCREDS} env --profile {profile})"; {show}'
        done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=cli_env(isolated_env))
        assert done.stdout == seen + "\n", profile
    assert [botocore_region(isolated_env, p) for p in ("prod", "prod-readonly", "from-credentials")] == [
        "eu-west-1",
        None,
        "ap-south-1",
    ]


# --- a long-term key left in the environment (issue 20.5) --------------------------------------


def test_a_long_term_key_in_the_environment_is_named_by_status_auth_and_env(isolated_env: Path) -> None:
    """The fast path's status and env, the full CLI's (an expired session), and auth."""
    write_credentials(
        isolated_env, SESSION + SESSION.replace("[default]", "\n[old]").replace(EXPIRES, "2001-01-01T00:00:00Z")
    )
    long_term = {"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "the-long-term-secret"}
    env = cli_env(isolated_env, **long_term)
    for args in (
        ["status"],
        ["env"],
        ["env", "--format", "dotenv"],
        ["status", "-p", "old"],
        ["env", "-p", "old"],
        ["auth"],
    ):
        done = cli(isolated_env, *args, env=env)
        warnings = [line for line in done.stderr.splitlines() if line.startswith("stscreds: warning:")]
        assert len(warnings) == 1, (args, done.stderr)
        assert warnings[0].startswith("stscreds: warning: AWS_ACCESS_KEY_ID (AKIA…MPLE)")
        assert "the-long-term-secret" not in done.stderr + done.stdout
    # A session's key (what `env` itself exports) is no warning; nor is a key without its secret.
    for variables in (
        {"AWS_ACCESS_KEY_ID": ACCESS_KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET},
        {"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE"},
    ):
        assert answers.shadowing_warning(variables) is None
        done = cli(isolated_env, "status", env=cli_env(isolated_env, **variables))
        assert (done.returncode, done.stderr) == (0, "")
