"""The small answers the API's changes share."""

from __future__ import annotations

from pydantic import BaseModel


class Message(BaseModel):
    """What a change did, in one sentence for the admin's toast."""

    message: str


class Changed(Message):
    """A change to tasks: how many it changed."""

    changed: int
