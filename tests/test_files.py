"""The shared credentials file editor, the atomic writer and the key store."""

from __future__ import annotations

import configparser
import locale
import os
import stat
import string
from pathlib import Path

import pytest
from botocore.configloader import raw_config_parse
from botocore.exceptions import ConfigParseError
from conftest import WITH_FIXTURES
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from strategies import credential_files

from stscreds import atomic, config, credentials_file, ini, ini_edit, keystore
from stscreds.credentials import INI_KEYS, Credentials
from stscreds.errors import FileAccessError, MalformedFileError, NotInitialisedError, StscredsError, UsageError

NEW = {
    "aws_access_key_id": "ASIANEWNEWNEWNEWNEW1",
    "aws_secret_access_key": "new/secret+value=",
    "aws_session_token": "new-token//+=",
    "x_security_token_expires": "2030-01-01T00:00:00Z",
}


def sections_of(path: Path) -> dict[str, ini.Section]:
    """The file's sections as stscreds reads them (as botocore does)."""
    return ini.read(str(path)).sections


def botocore_reads(text: str, tmp_path: Path) -> dict[str, dict[str, str]]:
    """What botocore's own parser makes of `text` written to a file."""
    path = tmp_path / "parsed"
    path.write_bytes(text.encode(locale.getpreferredencoding(False)))
    return raw_config_parse(str(path))


# --- examples of what must survive -----------------------------------------------------


def test_crlf_file_keeps_its_line_endings_and_new_lines_use_them() -> None:
    text = "[work]\r\nregion = x\r\n\r\n[default]\r\nregion = y\r\n"
    result = ini_edit.update_sections(text, {"default": NEW})
    assert result.startswith("[work]\r\nregion = x\r\n\r\n[default]\r\nregion = y\r\n")
    assert "\n" not in result.replace("\r\n", "")


def test_existing_keys_keep_their_place_spelling_and_spacing() -> None:
    text = "[default]\n  aws_access_key_id   =   old\nAWS_Session_Token:old\nregion = y\n"
    assert ini_edit.update_sections(text, {"default": NEW}).splitlines() == [
        "[default]",
        "  aws_access_key_id   =   ASIANEWNEWNEWNEWNEW1",
        "AWS_Session_Token:new-token//+=",
        "region = y",
        "aws_secret_access_key = new/secret+value=",
        "x_security_token_expires = 2030-01-01T00:00:00Z",
    ]


def test_new_keys_after_a_multi_line_value_are_not_continuations() -> None:
    text = "[default]\nregion = y\n  still region\n"
    assert ini_edit.update_sections(text, {"default": {"aws_session_token": "t"}}) == (
        "[default]\nregion = y\n  still region\naws_session_token = t\n"
    )


def test_mixed_line_endings_do_not_fuse_into_one() -> None:
    # Found by Hypothesis: a lone "\r" ending put before a blank "\n" line reads as "\r\n".
    text = "#\r[0]\n\n#\n"
    assert ini_edit.update_sections(text, {"0": {"aws_session_token": "t"}}) == "#\r[0]\naws_session_token = t\n\n#\n"


def test_dropping_a_continuation_line_does_not_fuse_line_endings() -> None:
    # Found by Hypothesis: "\r" before a dropped line, then a blank "\n" line, read as "\r\n".
    text = "[p]\naws_secret_access_key=0\r  0\n\nA=0\n"
    result = ini_edit.update_sections(text, {"p": {"aws_secret_access_key": "1"}})
    assert result == "[p]\naws_secret_access_key=1\r\n\nA=0\n"
    assert ini.split_lines(result)[2] == "\n"  # the blank line is still there


def test_comments_and_odd_lines_around_the_section_survive() -> None:
    text = (
        "; top comment\n"
        "[default]\n"
        "# about the token\n"
        "aws_session_token = old # botocore reads this comment as part of the value\n"
        "region=eu-west-1\n"
        "\n"
        "; comment that introduces the next section\n"
        "[next]\n"
        "key = value\n"
    )
    result = ini_edit.update_sections(text, {"default": NEW})
    assert result.startswith("; top comment\n[default]\n# about the token\naws_session_token = new-token//+=\n")
    assert result.endswith("\n\n; comment that introduces the next section\n[next]\nkey = value\n")


def test_a_multi_line_value_is_replaced_whole() -> None:
    text = "[default]\naws_session_token = first\n  second\n  # comment inside\n  third\nregion = x\n"
    result = ini_edit.update_sections(text, {"default": {"aws_session_token": "one"}})
    assert result == "[default]\naws_session_token = one\n  # comment inside\nregion = x\n"


def test_an_indented_header_below_stays_a_header() -> None:
    # "  [next]" is a header only because the option above it is indented as much.
    text = "[default]\n  region = x\n  [next]\n  key = value\n"
    result = ini_edit.update_sections(text, {"default": {"aws_session_token": "t"}})
    assert result == "[default]\n  region = x\n  aws_session_token = t\n  [next]\n  key = value\n"


def test_a_missing_section_is_appended_after_a_blank_line() -> None:
    assert ini_edit.update_sections("[work]\nregion = x", {"default": {"aws_session_token": "t"}}) == (
        "[work]\nregion = x\n\n[default]\naws_session_token = t\n"
    )
    assert ini_edit.update_sections("", {"default": {"aws_session_token": "t"}}) == "[default]\naws_session_token = t\n"


def test_no_final_newline_stays_that_way_when_the_section_is_last() -> None:
    assert ini_edit.update_sections("[default]\nregion = x", {"default": {"aws_session_token": "t"}}) == (
        "[default]\nregion = x\naws_session_token = t"
    )


def test_a_default_section_is_left_alone() -> None:
    text = "[DEFAULT]\nregion = x\n[default]\noutput = json\n"
    assert ini_edit.update_sections(text, {"default": {"aws_session_token": "t"}}) == (
        "[DEFAULT]\nregion = x\n[default]\noutput = json\naws_session_token = t\n"
    )


def test_a_new_section_beside_a_default_section() -> None:
    assert ini_edit.update_sections("[DEFAULT]\nregion = x\n", {"work": {"aws_session_token": "t"}}) == (
        "[DEFAULT]\nregion = x\n\n[work]\naws_session_token = t\n"
    )


def test_a_new_section_must_not_inherit_a_default_value_botocore_cannot_read(tmp_path: Path) -> None:
    # Found by Hypothesis: botocore skips [DEFAULT] itself, but parses its multi-line values in
    # every section, and refuses the whole file when one has a line without '='.
    text = "[DEFAULT]\nregion=\n  0\n"
    botocore_reads(text, tmp_path)
    with pytest.raises(StscredsError, match="nothing was written"):
        ini_edit.update_sections(text, {"default": {"aws_session_token": "t"}})


def test_botocore_nested_values_are_read_as_botocore_reads_them(tmp_path: Path) -> None:
    text = "[default]\ns3 =\n  max_concurrent_requests = 10\n  addressing_style = path\n"
    assert ini.read(str(tmp_path / "none")).sections == {}
    path = tmp_path / "credentials"
    path.write_text(text)
    assert ini.read(str(path)).sections == botocore_reads(text, tmp_path)
    path.write_text("[default]\ns3 =\n  no equals sign\n")
    with pytest.raises(MalformedFileError, match="multi-line value"):
        sections_of(path)


@pytest.mark.parametrize("name", ["", " default", "a]b", "a\nb", "DEFAULT"])
def test_profile_names_that_cannot_be_sections_are_refused(name: str) -> None:
    with pytest.raises(UsageError):
        config.check_profile_name(name)
    with pytest.raises(ValueError):
        ini_edit.update_sections("", {name: {"aws_session_token": "t"}})


@pytest.mark.parametrize(
    ("text", "line", "detail"),
    [
        ("region = x\n", 1, "before the first [section]"),
        ("[a]\nk = 1\n[a]\n", 3, "section [a] appears twice"),
        ("[a]\nk = 1\nK = 2\n", 3, "key 'k' appears twice in [a]"),
        ("[a]\nk = 1\n\njust words\n", 4, "expected 'key = value'"),
    ],
)
def test_malformed_files_name_the_line(text: str, line: int, detail: str, tmp_path: Path) -> None:
    path = tmp_path / "credentials"
    path.write_text(text)
    readers = (lambda p: ini.read(p).sections, lambda p: credentials_file.SectionStore(p, "default").prepare())
    for read in readers:
        with pytest.raises(MalformedFileError) as caught:
            read(str(path))
        assert str(caught.value).startswith(f"{path}, line {line}: ")
        assert detail in str(caught.value)
    with pytest.raises(configparser.Error):  # botocore agrees the file is broken
        configparser.RawConfigParser().read(str(path))


def test_undecodable_file_is_malformed(tmp_path: Path) -> None:
    path = tmp_path / "credentials"
    path.write_bytes(b"[default]\nkey = \xff\xfe\n")
    with pytest.raises(MalformedFileError, match="not readable"):
        sections_of(path)


def test_the_editor_checks_its_own_work(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "credentials"
    path.write_text("[default]\nregion = x\n")
    monkeypatch.setattr(ini_edit, "_scan", lambda lines: {})  # a broken editor: appends a 2nd [default]
    with pytest.raises(StscredsError, match="botocore would then read other settings differently"):
        credentials_file.SectionStore(str(path), "default").save(Credentials("a", "b", "c", 0))
    assert path.read_text() == "[default]\nregion = x\n"


def test_values_that_would_break_the_file_are_refused() -> None:
    for bad in ("", " padded", "two\nlines"):
        with pytest.raises(ValueError):
            ini_edit.update_sections("", {"default": {"aws_session_token": bad}})


# --- atomic, permission-safe writes ------------------------------------------------------


def test_write_leaves_0600_whatever_the_umask_and_the_old_mode(tmp_path: Path) -> None:
    path = tmp_path / "credentials"
    path.write_text("old")
    path.chmod(0o644)
    old_umask = os.umask(0)
    try:
        atomic.write_file(str(path), b"new")
    finally:
        os.umask(old_umask)
    assert path.read_bytes() == b"new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_write_follows_symlinks(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.write_text("old")
    link = tmp_path / "link"
    link.symlink_to(real)
    atomic.write_file(str(link), b"new")
    assert link.is_symlink() and real.read_bytes() == b"new"


@pytest.mark.parametrize("failure", [OSError("disk full"), KeyboardInterrupt()])
def test_a_failed_write_leaves_the_old_file_and_no_temp_file(
    failure: BaseException, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "folder" / "credentials"
    path.parent.mkdir()
    path.write_text("old")

    def fail(fd: int) -> None:
        raise failure

    monkeypatch.setattr(os, "fsync", fail)
    expected = FileAccessError if isinstance(failure, OSError) else KeyboardInterrupt
    with pytest.raises(expected):
        atomic.write_file(str(path), b"new")
    assert path.read_text() == "old"
    assert [p.name for p in path.parent.iterdir()] == ["credentials"]


def test_an_unwritable_folder_is_a_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "folder"
    folder.mkdir(mode=0o500)
    if os.access(folder, os.W_OK):
        pytest.skip("running as a user that ignores permissions (root)")
    with pytest.raises(FileAccessError, match="could not write"):
        atomic.write_file(str(folder / "credentials"), b"new")


def test_write_session_refuses_a_broken_file_and_leaves_it(tmp_path: Path) -> None:
    path = tmp_path / "credentials"
    path.write_text("[a]\nbroken line\n")
    with pytest.raises(MalformedFileError):
        credentials_file.SectionStore(str(path), "default").save(Credentials("a", "b", "c", 0))
    assert path.read_text() == "[a]\nbroken line\n"


# --- the key store (configobj) -----------------------------------------------------------


def test_store_round_trips_and_keeps_other_profiles(isolated_env: Path) -> None:
    keystore.save_keys("default", "AKIAAAAAAAAAAAAAAAAA", "s3cr%t/with$chars+=")
    keystore.save_keys("work", "AKIABBBBBBBBBBBBBBBB", "other")
    assert keystore.load_keys("default") == ("AKIAAAAAAAAAAAAAAAAA", "s3cr%t/with$chars+=")
    assert keystore.load_keys("work") == ("AKIABBBBBBBBBBBBBBBB", "other")


def test_store_missing_profile_says_how_to_init(isolated_env: Path) -> None:
    with pytest.raises(NotInitialisedError, match="run `stscreds init` first"):
        keystore.load_keys("default")
    keystore.save_keys("default", "AKIAAAAAAAAAAAAAAAAA", "s")
    with pytest.raises(NotInitialisedError, match="run `stscreds init --profile work` first"):
        keystore.load_keys("work")


def test_a_broken_store_is_reported_with_its_line(isolated_env: Path) -> None:
    store = isolated_env / ".stscreds" / "credentials"
    store.parent.mkdir()
    store.write_text("[default]\naws_access_key_id = A\n[[[broken\n")
    with pytest.raises(MalformedFileError, match=r"credentials, line 3"):
        keystore.load_keys("default")


# --- any valid file round-trips outside the managed section ------------------------------


def _sets_one_of(line: str, keys: dict[str, str]) -> bool:
    match = configparser.RawConfigParser.OPTCRE.match(line.strip())
    return bool(match) and match.group("option").rstrip().lower() in keys  # type: ignore[union-attr]


@settings(suppress_health_check=WITH_FIXTURES)
@given(
    generated=credential_files(),
    new_values=st.dictionaries(
        st.sampled_from(INI_KEYS),
        st.text(alphabet=string.ascii_letters + string.digits + "/+=", min_size=1, max_size=30),
        min_size=1,
    ),
)
def test_any_valid_file_round_trips_outside_the_managed_section(
    generated: tuple[list[str], int | None, str], new_values: dict[str, str], tmp_path: Path
) -> None:
    blocks, index, profile = generated
    text = "".join(blocks)
    try:
        before = botocore_reads(text, tmp_path)
    except Exception:
        assume(False)
    # Every block's header must be a header (an indented one after a key is a continuation
    # line): the byte accounting below is by block.
    headers = [block.lstrip().split("]")[0][1:] for block in blocks[1:]]
    assume(sorted(ini._scan(ini.split_lines(text))) == sorted(set(headers)))
    try:
        result = ini_edit.update_sections(text, {profile: new_values})
    except StscredsError:
        # Allowed only where any new section would make botocore refuse the whole file: it
        # would inherit a [DEFAULT] value that botocore cannot read.
        assert index is None and "[DEFAULT]" in text
        with pytest.raises(ConfigParseError):
            botocore_reads(text + f"\n[{profile}]\n", tmp_path)
        return
    after = botocore_reads(result, tmp_path)

    # botocore reads every other profile exactly as before, and ours with the new values
    # (and, if it is new, with the [DEFAULT] section's keys, as every section has them).
    assert {k: v for k, v in after.items() if k != profile} == {k: v for k, v in before.items() if k != profile}
    if profile in before:
        assert after[profile] == {**before[profile], **new_values}
    else:  # a new section shows every [DEFAULT] key it does not set, nested as botocore nests it
        parser = configparser.RawConfigParser()
        parser.read_string(text.replace("\r\n", "\n").replace("\r", "\n"))
        defaults = {k: ini.nested_value(v) for k, v in parser.defaults().items() if k not in new_values}
        assert after[profile] == {**defaults, **new_values}

    # Every byte outside the managed section is unchanged.
    if index is None:
        assert result.startswith(text)
        return
    head, tail = "".join(blocks[:index]), "".join(blocks[index + 1 :])
    assert result.startswith(head) and result.endswith(tail)
    # Inside it, every line but those of the keys being set is kept, in order.
    old_middle = ini.split_lines(blocks[index])
    new_middle = ini.split_lines(result[len(head) : len(result) - len(tail)])
    kept_old, skipping = [], False
    for line in old_middle:
        if _sets_one_of(line, new_values) and not line[:1].isspace():
            skipping = True
            continue
        if skipping and line[:1].isspace() and line.strip() and not line.strip().startswith(("#", ";")):
            continue  # a continuation line of a managed key
        skipping = skipping and (not line.strip() or line.strip().startswith(("#", ";")))
        kept_old.append(line.rstrip("\r\n"))
    kept_new = [line.rstrip("\r\n") for line in new_middle if not _sets_one_of(line, new_values)]
    assert kept_new == kept_old


# --- issue 9: files the editor refused, or broke on ------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "[default]\n  [work]\n  region = x\n",  # a header indented under a section with no keys
        "[default]\n# a comment does not count\n\n    [work]\n    region = x\n",
        "  [default]\n      [work]\n      region = x\n",
    ],
)
def test_new_keys_in_a_section_with_no_keys_before_an_indented_header(text: str, tmp_path: Path) -> None:
    result = ini_edit.update_sections(text, {"default": NEW})
    read = botocore_reads(result, tmp_path)
    assert read["default"] == NEW and read["work"] == {"region": "x"}
    assert result.startswith(text[: text.index("]") + 2])


def test_a_default_value_botocore_cannot_nest(tmp_path: Path) -> None:
    # botocore cannot read the [DEFAULT] value alone, but a section that sets the key itself
    # reads fine: writing it there is allowed, and anything else is refused, not a crash.
    text = "[DEFAULT]\naws_session_token =\n  no equals sign\n"
    result = ini_edit.update_sections(text, {"default": NEW})
    assert botocore_reads(result, tmp_path)["default"] == NEW
    with pytest.raises(StscredsError, match="nothing was written"):
        ini_edit.update_sections(text, {"default": {"region": "x"}})


def test_several_sections_in_one_edit(tmp_path: Path) -> None:
    text = "# mine\n[a]\nk = 1\n\n[b]\nk = 2\n"
    result = ini_edit.update_sections(text, {"b": {"k": "3"}, "c": {"x": "y"}, "a": {"z": "w"}})
    assert result == "# mine\n[a]\nk = 1\nz = w\n\n[b]\nk = 3\n\n[c]\nx = y\n"
    assert botocore_reads(result, tmp_path) == {"a": {"k": "1", "z": "w"}, "b": {"k": "3"}, "c": {"x": "y"}}
