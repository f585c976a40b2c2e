"""Who did it: the person a checkpoint or a run is recorded for (issue 17.7, issue 19.6).

Standard library only: the client imports it in every training process.

- **A process** (a kernel, a script, `mltrack`) works for `MLTRACK_USER`, else
  `JUPYTERHUB_USER` (JupyterHub sets it in each single-user server and so in its kernels),
  else the operating-system user. The server extension exports its own answer as
  `MLTRACK_USER`, so the kernels it starts record the same person as the server does. This
  is a run's `sys/owner`.
- **A request** to the server is recorded for the authenticated Jupyter user: display name,
  else name, else username. jupyter_server's default identity provider (token or no auth)
  makes up an anonymous user per browser, a random 32-hex username and a random
  "Anonymous Io"; in a one-person lab that is the person who started the server, so such a
  user is recorded as the server's own user (above), as a kernel of that server would be.
- **Stored**, a checkpoint's `author` column holds `Display Name <username>` when the two
  differ (git's habit: the name to show, the id that stays when a name changes), else the one
  name. `split` reads it back; an old author that is a bare 32-hex id (stored before this
  rule) reads as "anonymous".
"""

from __future__ import annotations

import os
import re

ENV_USER = "MLTRACK_USER"
ENV_HUB_USER = "JUPYTERHUB_USER"
ANONYMOUS = "anonymous"
MAX_AUTHOR = 256  # checkpoints.author

_ANON_ID = re.compile(r"^[0-9a-f]{32}$")
_STORED = re.compile(r"^(?P<name>.*\S) <(?P<username>[^<>]+)>$")


def os_user() -> str:
    """The operating-system user running this process ("" when there is none to find)."""
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no user name is not an error (a container without a passwd entry)
        return os.environ.get("USER", "")


def process_user() -> str:
    """Who this process works for: MLTRACK_USER, else JUPYTERHUB_USER, else the OS user."""
    for name in (ENV_USER, ENV_HUB_USER):
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return os_user()


def is_anonymous(username: str, name: str) -> bool:
    """jupyter_server's made-up user (`IdentityProvider.generate_anonymous_user`)."""
    return bool(_ANON_ID.match(username)) and (not name or name.startswith("Anonymous "))


def stored(display: str, username: str) -> str:
    """The `author` column for a person: `Display Name <username>`, or the one name."""
    display, username = display.strip(), username.strip()
    if display and username and display != username:
        both = f"{display} <{username}>"
        if len(both) <= MAX_AUTHOR and "<" not in display and ">" not in username:
            return both
    return (display or username)[:MAX_AUTHOR]


def split(author: str) -> tuple[str, str]:
    """(name to show, username) of a stored author."""
    m = _STORED.match(author)
    if m is not None:
        return m.group("name"), m.group("username")
    if _ANON_ID.match(author):
        return ANONYMOUS, author
    return author, author


def of_user(user: object) -> str:
    """The stored author for a jupyter_server `User` (or anything with its attributes)."""
    username = str(getattr(user, "username", "") or "")
    name = str(getattr(user, "name", "") or "")
    display = str(getattr(user, "display_name", "") or "")
    if is_anonymous(username, name):
        return stored(process_user(), "")
    return stored(display or name or username, username)
