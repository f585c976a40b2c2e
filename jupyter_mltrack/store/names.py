"""Project naming rules, shared by the client (checked in the caller's thread before any
store is open, so a bad name fails at once) and the store (which applies them again)."""

from __future__ import annotations

import re

from ..errors import InvalidInput
from .text import check

DEFAULT_PROJECT = "default"


def normalize_name(name: str | None) -> str:
    """neptune code passes "workspace/project": the project is the last part."""
    name = (name or "").strip()
    if "/" in name:
        name = name.rsplit("/", 1)[1].strip()
    if not name:
        return DEFAULT_PROJECT
    if len(name) > 256:
        raise InvalidInput(f"project name is {len(name)} characters; at most 256 allowed")
    return check(name, "the project name")


def derive_key(name: str) -> str:
    """The run-id prefix of a new project: its first four letters or digits, upper case."""
    letters = re.sub(r"[^A-Za-z0-9]", "", name).upper()
    if not letters or not letters[0].isalpha():
        letters = "R" + letters
    return letters[:4]
