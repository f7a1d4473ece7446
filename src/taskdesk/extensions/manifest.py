"""install.json: what an extension package says about itself.

    {"name": "Test Module", "description": "…", "version": "1.0.0", "author": "…",
     "link": "https://…", "code": "test_module", "requires": ["requests>=2"]}

`name` and `version` are required; `code` defaults to the zip's file name; `requires` lists
the Python distributions the extension's code imports besides taskdesk and the standard
library (checked when a module is installed, never installed for you).
"""

from __future__ import annotations

import json
import re
from importlib import metadata
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement

from taskdesk.errors import BadPackage
from taskdesk.models.actions import NAME
from taskdesk.models.extensions import TEXT_FIELDS, Manifest

MANIFEST = "install.json"
#: An extension's code: a lowercase name of actions' routes, at most 64 characters.
CODE_PATTERN = re.compile(rf"(?={NAME}$)[a-z0-9_]{{1,64}}")
REQUIRED_FIELDS = ("name", "version")
MAX_FIELD_LENGTH = 1000


def parse_manifest(text: bytes | str, *, default_code: str) -> Manifest:
    """The manifest, or BadPackage naming the first thing wrong with it."""
    try:
        data = json.loads(text)
    except ValueError as error:  # malformed JSON or text, or an overlong number
        raise BadPackage(f"{MANIFEST} is not valid JSON: {error}") from None
    except RecursionError:
        raise BadPackage(f"{MANIFEST} is nested too deeply") from None
    if not isinstance(data, dict):
        raise BadPackage(f"{MANIFEST} must hold a JSON object")
    fields = {name: _text_field(data, name) for name in TEXT_FIELDS}
    code = check_code(data.get("code", default_code))
    return Manifest(code=code, requires=_requires(data.get("requires", [])), **fields)


def unmet_requirements(manifest: Manifest) -> list[str]:
    """The manifest's requirements that the running Python does not satisfy."""
    return [text for text in manifest.requires if not _satisfied(Requirement(text))]


def check_code(code: Any) -> str:
    if not isinstance(code, str) or not CODE_PATTERN.fullmatch(code):
        raise BadPackage(f"bad extension code {code!r}: use 1 to 64 of a-z, 0-9 and _, "
                         f"not starting with a digit")
    return code


def _text_field(data: dict[str, Any], name: str) -> str:
    value = data.get(name, "")
    if not isinstance(value, str) or len(value) > MAX_FIELD_LENGTH:
        raise BadPackage(f"{MANIFEST}: {name!r} must be a string of at most "
                         f"{MAX_FIELD_LENGTH} characters")
    if name in REQUIRED_FIELDS and not value.strip():
        raise BadPackage(f"{MANIFEST}: {name!r} is required")
    return value.strip()


def _requires(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise BadPackage(f"{MANIFEST}: 'requires' must be a list of requirement strings")
    for text in value:
        try:
            Requirement(text)
        except InvalidRequirement as error:  # its message spans lines, with a caret
            reason = str(error).splitlines()[0] if str(error) else "not PEP 508"
            raise BadPackage(f"{MANIFEST}: bad requirement {text!r} in 'requires' ({reason})"
                             ) from None
    return tuple(value)


def _satisfied(requirement: Requirement) -> bool:
    if requirement.marker is not None and not requirement.marker.evaluate():
        return True  # not needed on this Python or platform
    try:
        version = metadata.version(requirement.name)
    except metadata.PackageNotFoundError:
        return False
    return requirement.specifier.contains(version, prereleases=True)
