"""The git state of the code that ran, under `source_code/git/`:
`commit`, `branch`, `dirty`, `message`, `author`, `remotes` and the uncommitted `diff` as a file.

GitPython is optional (the `git` extra): without it, or outside a repository, nothing is logged
and nothing is raised. Remote URLs lose their credentials (`https://user:token@host` becomes
`https://host`) since runs are shared with a whole team. The diff (working tree and index
against HEAD; untracked files are not in it) is cut at `limit` bytes; a cut diff says so in its
last line and in `source_code/git/diff_truncated`, which names the full size and the cap.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .base import RunLike, log

PREFIX = "source_code/git"


def strip_credentials(url: str) -> str:
    """Remove user and password from http(s)/ftp URLs, and the password from any URL.

    Tokens are often put where the user name goes (`https://ghp_x@github.com/...`), so for web
    URLs the whole userinfo goes; `ssh://git@host` and `git@host:org/repo` keep their user,
    which is not a secret.
    """
    if "://" not in url:
        return url  # scp-like ssh syntax or a local path
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if "@" not in parts.netloc:
        return url
    userinfo, host = parts.netloc.rsplit("@", 1)
    if parts.scheme.lower() in ("http", "https", "ftp", "ftps"):
        netloc = host
    else:
        netloc = f"{userinfo.split(':', 1)[0]}@{host}"
    return urlunsplit(parts._replace(netloc=netloc))


@dataclass
class GitInfo:
    commit: str
    branch: str
    dirty: bool
    message: str
    author: str
    remotes: dict[str, str] = field(default_factory=dict)
    diff: bytes = b""
    diff_size: int = 0
    diff_cut: bool = False


def read(path: str | os.PathLike[str], diff_limit: int) -> GitInfo | None:
    """The repository containing `path`, or None (no GitPython, no git, not a repository)."""
    try:
        import git
    except Exception as e:  # ImportError, or GitPython failing to find the git executable
        log.debug("jupyter-mltrack: git capture off (%s)", e)
        return None
    try:
        repo = git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None
    try:
        return _read_repo(repo, diff_limit)
    finally:
        repo.close()


def _read_repo(repo: Any, diff_limit: int) -> GitInfo | None:
    try:
        head = repo.head.commit
    except ValueError:  # a repository without commits yet
        return None
    try:
        branch = repo.active_branch.name
    except TypeError:  # detached HEAD
        branch = ""
    remotes: dict[str, str] = {}
    for remote in repo.remotes:
        try:
            remotes[remote.name] = strip_credentials(next(iter(remote.urls)))
        except Exception:
            continue
    info = GitInfo(
        commit=head.hexsha,
        branch=branch,
        dirty=repo.is_dirty(),
        message=str(head.message).strip(),
        author=f"{head.author.name} <{head.author.email}>",
        remotes=remotes,
    )
    if info.dirty and diff_limit > 0:
        raw: bytes = repo.git.diff("HEAD", stdout_as_string=False)
        info.diff_size = len(raw)
        if len(raw) > diff_limit:
            info.diff_cut = True
            raw = (
                raw[:diff_limit]
                + (
                    f"\n# jupyter-mltrack: diff cut at {diff_limit:,} of {len(raw):,} bytes "
                    "(git_diff_limit / MLTRACK_GIT_DIFF_LIMIT)\n"
                ).encode()
            )
        info.diff = raw
    return info


class GitCapture:
    """Logs the repository around the script (or the notebook's working directory)."""

    name = "git"

    def __init__(self, run: RunLike, where: str | os.PathLike[str], diff_limit: int) -> None:
        self.run = run
        self.where = Path(where)
        self.diff_limit = diff_limit

    def start(self) -> None:
        info = read(self.where, self.diff_limit)
        if info is None:
            return
        run = self.run
        run[f"{PREFIX}/commit"] = info.commit
        run[f"{PREFIX}/branch"] = info.branch
        run[f"{PREFIX}/dirty"] = info.dirty
        run[f"{PREFIX}/message"] = info.message
        run[f"{PREFIX}/author"] = info.author
        if info.remotes:
            run[f"{PREFIX}/remotes"] = "\n".join(f"{k} {v}" for k, v in info.remotes.items())
        if info.diff:
            from ..types import File

            run[f"{PREFIX}/diff"].upload(
                File(content=info.diff, extension="diff", name="uncommitted.diff")
            )
            if info.diff_cut:
                run[f"{PREFIX}/diff_truncated"] = (
                    f"diff is {info.diff_size:,} bytes; the first {self.diff_limit:,} "
                    "(the cap) were kept"
                )

    def stop(self) -> None:
        pass
