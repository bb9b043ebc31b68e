"""Hypothesis strategies for credentials files that botocore's parser accepts, with the odd
spacing, delimiters, comments, continuation lines and line endings people's files have."""

from __future__ import annotations

import locale

from hypothesis import strategies as st

from stscreds.credentials import INI_KEYS

UTF8 = locale.getpreferredencoding(False).lower().replace("-", "") == "utf8"
_value_chars = st.characters(
    min_codepoint=32, max_codepoint=0x2FF if UTF8 else 126, blacklist_categories=("Cs", "Cc", "Zs")
) | st.sampled_from(" \t=:#;/[]'\"%$")
values = st.text(_value_chars, max_size=12)
names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_.-]{0,8}", fullmatch=True)
section_names = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.@ -]{0,9}", fullmatch=True).map(str.strip)
endings = st.sampled_from(["\n", "\r\n", "\r"])
comments = st.builds(
    lambda indent, mark, text: indent + mark + text, st.sampled_from(["", "  "]), st.sampled_from("#;"), values
)
delimiters = st.sampled_from(["=", " = ", ":", ": ", "\t=\t", " =", "=  "])


@st.composite
def option_lines(draw: st.DrawFn, name: str) -> list[str]:
    spelled = draw(st.sampled_from([name, name.upper(), name.title()]))
    lines = [f"{spelled}{draw(delimiters)}{draw(values)}"]
    for _ in range(draw(st.integers(0, 2))):  # continuation lines, maybe with comments between
        lines.append(draw(st.sampled_from(["  ", "\t", "    "])) + draw(values.filter(lambda v: v.strip() != "")))
    return lines


@st.composite
def section_blocks(draw: st.DrawFn, name: str, managed_names: bool) -> list[str]:
    # Now and then an indented header: after a key it is a continuation, after a header a header.
    lines = [draw(st.sampled_from(["", "", "", "  "])) + f"[{name}]" + draw(st.sampled_from(["", "  ", "\t"]))]
    pool = [*INI_KEYS, "region", "output"] if managed_names else []
    option_names = draw(st.lists(names | st.sampled_from(pool or ["region"]), max_size=5, unique_by=str.lower))
    for option in option_names:
        for _ in range(draw(st.integers(0, 1))):
            lines.append(draw(comments | st.sampled_from(["", "   "])))
        lines.extend(draw(option_lines(option)))
    for _ in range(draw(st.integers(0, 2))):
        lines.append(draw(comments | st.sampled_from(["", "   "])))
    return lines


@st.composite
def credential_files(draw: st.DrawFn) -> tuple[list[str], int | None, str]:
    """(text of each block, index of the managed block or None, managed profile name)."""
    ending = draw(endings)
    mixed = draw(st.booleans())
    profiles = draw(st.lists(section_names.filter(lambda n: n and n != "DEFAULT"), max_size=5, unique=True))
    preamble = draw(st.lists(comments | st.just(""), max_size=2))
    managed = draw(st.sampled_from([*profiles, "default"]))
    sections = list(profiles)
    if draw(st.integers(0, 5)) == 0:  # now and then a [DEFAULT] section, whose keys every section shows
        sections.insert(draw(st.integers(0, len(sections))), "DEFAULT")
    blocks_lines = [preamble] + [draw(section_blocks(p, p == managed)) for p in sections]

    def join(lines: list[str]) -> str:
        return "".join(line + (draw(endings) if mixed else ending) for line in lines)

    blocks = [join(lines) for lines in blocks_lines]
    if blocks and draw(st.booleans()):  # sometimes no final newline
        blocks[-1] = blocks[-1].rstrip("\r\n") if blocks[-1].strip() else blocks[-1]
    index = sections.index(managed) + 1 if managed in sections else None
    return blocks, index, managed
