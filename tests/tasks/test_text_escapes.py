"""Issue 14, item 34: every format character (Unicode category Cf: bidi controls such as
U+061C, zero-width spaces, the BOM, tag characters) is shown as an escape by `visible` and
`json_safe`, as the C0/C1 controls already were; newlines and tabs keep each context's rule."""

from __future__ import annotations

import json
import re
import sys
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from taskdesk.text import FORMAT_CHARACTERS, json_safe, visible

#: Categories that must never reach a terminal or a page raw.
HIDDEN = {"Cc", "Cf", "Cs", "Zl", "Zp"}
ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)


def _raw(text: str, keep: str = "") -> list[str]:
    return [char for char in text
            if unicodedata.category(char) in HIDDEN and char not in keep]


def test_the_list_is_every_format_character_of_this_python() -> None:
    listed = re.compile(f"[{FORMAT_CHARACTERS}]")
    cf = {code for code in range(sys.maxunicode + 1)
          if unicodedata.category(chr(code)) == "Cf"}
    matched = {code for code in range(sys.maxunicode + 1) if listed.match(chr(code))}
    assert matched == cf, sorted(hex(code) for code in matched ^ cf)


def test_the_reported_characters_are_escaped() -> None:
    assert visible("a\u061cb\u200bc") == "a\\u061cb\\u200bc"
    assert visible("\ufeff\u2066x\u2069\U000e0041") == "\\ufeff\\u2066x\\u2069\\U000e0041"
    assert visible("line\u202e") == "line\\u202e"


@given(ANY_TEXT)
def test_visible_leaves_nothing_hidden_raw(text: str) -> None:
    assert _raw(visible(text)) == []


@given(ANY_TEXT)
def test_visible_keeps_only_what_it_is_told_to(text: str) -> None:
    shown = visible(text, keep="\n\t")
    assert _raw(shown, keep="\n\t") == []
    assert shown.count("\n") == text.count("\n")
    assert shown.count("\t") == text.count("\t")


@given(ANY_TEXT.filter(lambda text: not any("\ud800" <= c <= "\udfff" for c in text)))
def test_json_safe_hides_nothing_and_reads_back_the_same(text: str) -> None:
    printed = json_safe(json.dumps({"v": text}, ensure_ascii=False))
    assert _raw(printed) == []
    assert json.loads(printed) == {"v": text}


def test_text_without_hidden_characters_is_unchanged() -> None:
    assert visible("ánn → 北京 ✓ \u05d0\u05d1") == "ánn → 北京 ✓ \u05d0\u05d1"
