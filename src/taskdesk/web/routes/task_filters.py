"""The Tasks list's filters, read once from a query string or a JSON body, for the page, its
API twin and the bulk actions alike."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, Field

from taskdesk.errors import BadArgs
from taskdesk.models.tasks import parse_args

MAX_FILTER_TEXT = 255
LIST_LIMIT = 50  # tasks on one page
MAX_LIST_LIMIT = 500
PREVIEW = 120  # characters of a response shown in the list


class TaskFilterBody(BaseModel):
    """Which tasks: code and action are substrings, status exact, args a JSON object whose
    keys must each be in the task's args with an equal value."""

    code: str | None = Field(default=None, max_length=MAX_FILTER_TEXT)
    status: str | None = Field(default=None, max_length=32)
    action: str | None = Field(default=None, max_length=MAX_FILTER_TEXT)
    queue: str | None = Field(default=None, max_length=64)
    error_class: str | None = Field(default=None, max_length=MAX_FILTER_TEXT,
                                    description="exactly: what failed the latest attempt")
    args: dict[str, Any] | None = None
    code_exact: bool = Field(default=False, description="the code must be equal, not a "
                                                        "substring (answered from an index)")

    def keywords(self) -> dict[str, Any]:
        """The registry's keyword arguments, empty filters left out."""
        return {key: value for key, value in self.model_dump().items()
                if value not in (None, "", {}, False)}

    def query(self) -> dict[str, str]:
        """The filter as query parameters (links that keep it)."""
        found = {key: str(value) for key, value in self.keywords().items()
                 if key not in ("args", "code_exact")}
        if self.args:
            found["args"] = json.dumps(self.args, ensure_ascii=False)
        if self.code_exact:
            found["code_exact"] = "true"
        return found


def filter_from_query(code: str | None, status: str | None, action: str | None,
                      args: str | None, code_exact: bool = False,
                      queue: str | None = None,
                      error_class: str | None = None) -> TaskFilterBody:
    """The filter a query string gives; args is JSON text (`{"user_id": 42}`)."""
    parsed = parse_args(args) if args and args.strip() else None
    if args and args.strip() and not parsed:
        raise BadArgs("the args filter needs at least one key")
    return TaskFilterBody(code=code or None, status=status or None, action=action or None,
                          args=parsed, code_exact=code_exact and bool(code),
                          queue=queue or None, error_class=error_class or None)
