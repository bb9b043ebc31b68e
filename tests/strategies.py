"""Hypothesis strategies for credentials files that botocore's parser accepts, with the odd
spacing, delimiters, comments, continuation lines and line endings people's files have."""

from __future__ import annotations

import locale
import operator
import string

from hypothesis import strategies as st

from stscreds.credentials import INI_KEYS

UTF8 = locale.getpreferredencoding(False).lower().replace("-", "") == "utf8"
_value_chars = st.characters(
    min_codepoint=32, max_codepoint=0x2FF if UTF8 else 126, blacklist_categories=("Cs", "Cc", "Zs")
) | st.sampled_from(" \t=:#;/[]'\"%$")
values = st.text(_value_chars, max_size=12)
_LETTERS_DIGITS = string.ascii_letters + string.digits


def _word(first: str, rest: str, most: int) -> st.SearchStrategy[str]:
    """One character of `first`, then up to `most` of `rest`: the regex [first][rest]{0,most},
    without from_regex's cost (its first use in a process maps the whole codec)."""
    return st.builds(operator.add, st.sampled_from(first), st.text(alphabet=rest, max_size=most))


names = _word(string.ascii_letters + "_", _LETTERS_DIGITS + "_.-", 8)
section_names = _word(_LETTERS_DIGITS, _LETTERS_DIGITS + "_.@ -", 9).map(str.strip)
endings = st.sampled_from(["\n", "\r\n", "\r"])
comments = st.builds(
    lambda indent, mark, text: indent + mark + text, st.sampled_from(["", "  "]), st.sampled_from("#;"), values
)
delimiters = st.sampled_from(["=", " = ", ":", ": ", "\t=\t", " =", "=  "])


# Every strategy is built once, here: a strategy made inside a draw is validated again on each
# draw, which cost the suite several seconds a run for the same examples.
_spellings = st.sampled_from([str, str.upper, str.title])
_continuations = st.integers(0, 2)
_continuation_indents = st.sampled_from(["  ", "\t", "    "])
_continued_values = values.filter(lambda v: v.strip() != "")
_header_indents = st.sampled_from(["", "", "", "  "])
_header_trailers = st.sampled_from(["", "  ", "\t"])
_option_names = {
    managed: st.lists(
        names | st.sampled_from([*INI_KEYS, "region", "output"] if managed else ["region"]),
        max_size=5,
        unique_by=str.lower,
    )
    for managed in (True, False)
}
_gap_lines = comments | st.sampled_from(["", "   "])
_zero_or_one = st.integers(0, 1)
_profile_lists = st.lists(section_names.filter(lambda n: n and n != "DEFAULT"), max_size=5, unique=True)
_preambles = st.lists(comments | st.just(""), max_size=2)
_one_in_six = st.integers(0, 5)


def _option_lines(draw: st.DrawFn, name: str) -> list[str]:
    lines = [f"{draw(_spellings)(name)}{draw(delimiters)}{draw(values)}"]
    for _ in range(draw(_continuations)):  # continuation lines, maybe with comments between
        lines.append(draw(_continuation_indents) + draw(_continued_values))
    return lines


def _section_block(draw: st.DrawFn, name: str, managed_names: bool) -> list[str]:
    # Now and then an indented header: after a key it is a continuation, after a header a header.
    lines = [draw(_header_indents) + f"[{name}]" + draw(_header_trailers)]
    for option in draw(_option_names[managed_names]):
        for _ in range(draw(_zero_or_one)):
            lines.append(draw(_gap_lines))
        lines.extend(_option_lines(draw, option))
    for _ in range(draw(_continuations)):
        lines.append(draw(_gap_lines))
    return lines


@st.composite
def credential_files(draw: st.DrawFn) -> tuple[list[str], int | None, str]:
    """(text of each block, index of the managed block or None, managed profile name)."""
    ending = draw(endings)
    mixed = draw(st.booleans())
    profiles = draw(_profile_lists)
    preamble = draw(_preambles)
    managed = draw(st.sampled_from([*profiles, "default"]))
    sections = list(profiles)
    if draw(_one_in_six) == 0:  # now and then a [DEFAULT] section, whose keys every section shows
        sections.insert(draw(st.integers(0, len(sections))), "DEFAULT")
    blocks_lines = [preamble] + [_section_block(draw, p, p == managed) for p in sections]

    def join(lines: list[str]) -> str:
        return "".join(line + (draw(endings) if mixed else ending) for line in lines)

    blocks = [join(lines) for lines in blocks_lines]
    if blocks and draw(st.booleans()):  # sometimes no final newline
        blocks[-1] = blocks[-1].rstrip("\r\n") if blocks[-1].strip() else blocks[-1]
    index = sections.index(managed) + 1 if managed in sections else None
    return blocks, index, managed
