"""Turn whatever a handler hands back (a result, an exception) into text any store accepts,
and any stored text into text a terminal shows instead of obeying.

Nothing here raises: a `str()` or `repr()` that raises, a value nested too deeply for JSON,
a lone surrogate (not UTF-8), a NUL (PostgreSQL's text refuses it) and a response of many
megabytes all become storable text that says what happened.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

#: The most a stored response, traceback or log comment keeps, in UTF-8 bytes.
MAX_TEXT_BYTES = 64 * 1024
#: Of a cut text, the share of the limit kept from its end (a traceback's last lines).
TAIL_SHARE = 0.25

#: Format characters (Unicode category Cf, Unicode 14 as Python 3.11 knows it): invisible, yet
#: they change what text reads as: bidi controls (U+061C, U+200E/F, U+202A-E, U+2066-9:
#: Trojan Source), zero-width spaces and joiners, the BOM, tag characters. A test checks this
#: list against `unicodedata` of the running Python.
FORMAT_CHARACTERS = (
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
    "\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001"
    "\U000e0020-\U000e007f"
)
#: What a terminal or a page acts on instead of showing: C0 and C1 controls and DEL (escape
#: sequences, carriage returns), every format character (above), line and paragraph
#: separators, and lone surrogates (not UTF-8: writing one to a stream raises).
_UNSAFE_BEYOND_C0 = f"\x7f-\x9f{FORMAT_CHARACTERS}\u2028\u2029\ud800-\udfff"
_UNSAFE = re.compile(f"[\x00-\x1f{_UNSAFE_BEYOND_C0}]")
_UNSAFE_IN_JSON = re.compile(f"[{_UNSAFE_BEYOND_C0}]")  # json.dumps escapes C0 itself
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def safe_str(value: object) -> str:
    """str(value), or a note that it could not be read; never raises."""
    try:
        return _exact(str(value))
    except Exception as error:
        return f"<{type_name(value)} whose str() raised {type_name(error)}>"


def safe_repr(value: object) -> str:
    """repr(value), or a note that it could not be read; never raises."""
    try:
        return _exact(repr(value))
    except Exception as error:
        return f"<{type_name(value)} whose repr() raised {type_name(error)}>"


def type_name(value: object) -> str:
    """The name of a value's class; a class can fake its name, so this too is guarded."""
    try:
        name = type(value).__name__
        return name if type(name) is str else "object"
    except Exception:
        return "object"


def error_text(error: BaseException) -> str:
    """`Kind: message`, or `SystemExit(5)`: one line that names an exception."""
    if isinstance(error, SystemExit):
        return f"SystemExit({safe_repr(error.code)})"
    message = safe_str(error)
    return f"{type_name(error)}: {message}" if message else type_name(error)


def json_text(value: object) -> str:
    """A value as text: strings as they are, anything else as JSON, or its repr when JSON
    cannot hold it (non-string keys, cycles, too deep), or a note when even that fails."""
    if isinstance(value, str):
        return _exact(value)
    try:
        return json.dumps(value, default=safe_str)
    except (TypeError, ValueError, RecursionError):
        return safe_repr(value)
    except Exception as error:  # a __bool__, __iter__ or property of the value raised
        return f"<{type_name(value)} that cannot be read: {type_name(error)}>"


def storable(text: str, limit: int = MAX_TEXT_BYTES) -> str:
    """`text` with lone surrogates and NUL escaped, cut to `limit` UTF-8 bytes (its start and
    its end kept, with a note between) when longer."""
    original = len(text)
    if original > limit:  # a character is one byte at least: cut first, so escaping is cheap
        tail = int(limit * TAIL_SHARE)
        text = text[: limit - tail] + text[original - tail:]
    escaped = _escaped(text)
    encoded = escaped.encode("utf-8")
    if original <= limit and len(encoded) <= limit:
        return escaped
    return _cut(encoded, limit, original)


def _escaped(text: str) -> str:
    """Lone surrogates as \\udxxx and NUL as \\x00: what UTF-8 and PostgreSQL refuse."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text.replace("\x00", "\\x00")


def _cut(encoded: bytes, limit: int, original: int) -> str:
    note = f"\n[… cut to {limit:,} bytes: the text had {original:,} characters …]\n"
    room = max(limit - len(note.encode("utf-8")), 0)
    tail = int(room * TAIL_SHARE)
    head = encoded[: room - tail].decode("utf-8", "ignore")
    end = encoded[len(encoded) - tail:].decode("utf-8", "ignore") if tail else ""
    return f"{head}{note}{end}"


def _exact(text: str) -> str:
    """A str subclass can override anything: keep only its characters."""
    return text if type(text) is str else str.__str__(text)


def visible(text: str, *, keep: str = "") -> str:
    """`text` with every character a terminal would act on written as an escape (`\\x1b`,
    `\\r`, `\\u202e`): what a package, a task's args or its response says is shown, never
    obeyed. Characters in `keep` ("\\n\\t" for multi-line output) stay as they are. Linear."""
    if _UNSAFE.search(text) is None:
        return text

    def escape(match: re.Match[str]) -> str:
        char = match.group()
        if char in keep:
            return char
        code = ord(char)
        named = _NAMED_ESCAPES.get(char)
        if named or code < 0x100:
            return named or f"\\x{code:02x}"
        return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"

    return _UNSAFE.sub(escape, text)


def json_safe(text: str) -> str:
    """JSON text whose strings hold no character a terminal acts on: JSON escapes only the C0
    controls, so DEL, C1 and bidi controls and lone surrogates become `\\uXXXX` here (inside
    strings, the only place they can be in JSON, the value read back is the same)."""
    return _UNSAFE_IN_JSON.sub(lambda match: _json_escape(match.group()), text)


def _json_escape(char: str) -> str:
    """`\\uXXXX`, or the surrogate pair JSON spells a character beyond U+FFFF with."""
    code = ord(char)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xd800 + (code >> 10):04x}\\u{0xdc00 + (code & 0x3ff):04x}"


def os_error_text(error: OSError) -> str:
    """What the file system refused, and where: `/srv/td/logs is a file, not a folder` when a
    file stands where a folder must be, else `/srv/td/x: Read-only file system`."""
    names = [str(name) for name in (error.filename, error.filename2) if name is not None]
    reason = error.strerror or type(error).__name__
    if not names:
        return f"{reason} ({error})"
    path = Path(names[0])
    blocking = _file_in_the_way(path) if isinstance(
        error, FileExistsError | NotADirectoryError) else None
    if blocking == path:
        return f"{path} is a file, not a folder"
    if blocking is not None:
        return f"{blocking} is a file, not a folder, so {path} cannot be used"
    return f"{' -> '.join(names)}: {reason}"


def _file_in_the_way(path: Path) -> Path | None:
    """The path itself or the nearest of its parents that exists and is not a folder."""
    return next((each for each in (path, *path.parents)
                 if each.exists() and not each.is_dir()), None)
