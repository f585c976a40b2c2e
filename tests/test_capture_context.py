"""Git, environment and source-file capture, on real repositories and real runs."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import jupyter_mltrack as mlt
from jupyter_mltrack.capture.environment import conda_env, requirements
from jupyter_mltrack.capture.git import read, strip_credentials
from jupyter_mltrack.store.engine import open_store

pytest.importorskip("git")


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=Ada", "-c", "user.email=ada@example.org", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    _git(root, "init", "-q", "-b", "main")
    (root / "train.py").write_text("print('v1')\n")
    _git(root, "add", "train.py")
    _git(root, "commit", "-q", "-m", "First model\n\nwith a body")
    _git(root, "remote", "add", "origin", "https://ada:ghp_SECRET@github.com/ada/project.git")
    _git(root, "remote", "add", "mirror", "ssh://git:pw@example.org/project.git")
    return root


@pytest.mark.parametrize(
    ("url", "clean"),
    [
        ("https://user:tok@github.com/a/b.git", "https://github.com/a/b.git"),
        ("https://ghp_token@github.com/a/b.git", "https://github.com/a/b.git"),
        ("http://u:p@host:8080/r", "http://host:8080/r"),
        ("ssh://git:pw@host/r.git", "ssh://git@host/r.git"),
        ("ssh://git@host/r.git", "ssh://git@host/r.git"),
        ("git@github.com:a/b.git", "git@github.com:a/b.git"),
        ("/srv/git/r.git", "/srv/git/r.git"),
    ],
)
def test_remote_urls_lose_their_credentials(url: str, clean: str) -> None:
    assert strip_credentials(url) == clean


def test_git_state_of_a_dirty_repository(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (repo / "train.py").write_text("print('v2')\n")
    monkeypatch.chdir(repo)
    run = mlt.init_run(project="ctx", capture_hardware_metrics=False)
    run.stop()
    got = mlt.init_run(with_id=run.id, mode="read-only")["source_code/git"].fetch()
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True
    ).stdout.strip()
    assert got["commit"] == head
    assert got["branch"] == "main"
    assert got["dirty"] is True
    assert got["message"] == "First model\n\nwith a body"
    assert got["author"] == "Ada <ada@example.org>"
    assert got["remotes"] == (
        "origin https://github.com/ada/project.git\nmirror ssh://git@example.org/project.git"
    )
    assert "SECRET" not in str(got)
    diff = open_store().blobs.get(got["diff"]["sha256"]).decode()
    assert "-print('v1')\n+print('v2')" in diff
    assert got["diff"]["name"] == "uncommitted.diff"
    assert "diff_truncated" not in got


def test_clean_repository_has_no_diff_and_big_diff_is_cut(repo: Path) -> None:
    clean = read(repo, diff_limit=1000)
    assert clean is not None and not clean.dirty and clean.diff == b""
    (repo / "train.py").write_text("".join(f"print({i})\n" for i in range(5000)))
    cut = read(repo / "train.py", diff_limit=2000)  # any path inside the repository
    assert cut is not None and cut.dirty and cut.diff_cut
    assert cut.diff_size > 2000
    assert cut.diff.startswith(b"diff --git")
    assert (
        cut.diff[:2000]
        == subprocess.run(["git", "diff", "HEAD"], cwd=repo, capture_output=True).stdout[:2000]
    )
    assert b"diff cut at 2,000 of" in cut.diff[2000:]
    none = read(repo, diff_limit=0)
    assert none is not None and none.diff == b""


def test_cut_diff_is_stated_in_a_field(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (repo / "train.py").write_text("x = 1\n" * 1000)
    monkeypatch.chdir(repo)
    run = mlt.init_run(project="ctx", capture_hardware_metrics=False, git_diff_limit=500)
    run.stop()
    got = mlt.init_run(with_id=run.id, mode="read-only")["source_code/git"].fetch()
    assert "the first 500 (the cap) were kept" in got["diff_truncated"]
    assert got["diff"]["size"] < 700


def test_not_a_repository_logs_nothing_and_raises_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    monkeypatch.chdir(plain)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    assert read(plain, diff_limit=100) is None
    run = mlt.init_run(project="ctx", capture_hardware_metrics=False)
    run.stop()
    assert not mlt.init_run(with_id=run.id, mode="read-only").exists("source_code/git")
    assert not [r for r in caplog.records if r.levelname == "WARNING"]


def test_empty_repository_and_capture_git_off(
    tmp_path: Path, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    _git(empty, "init", "-q")
    assert read(empty, diff_limit=100) is None  # no commit yet
    monkeypatch.chdir(repo)
    run = mlt.init_run(project="ctx", capture_hardware_metrics=False, capture_git=False)
    run.stop()
    assert not mlt.init_run(with_id=run.id, mode="read-only").exists("source_code/git")


def test_environment_fields_and_requirements_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONDA_PREFIX", "/opt/conda/envs/credit")
    monkeypatch.setenv("CONDA_DEFAULT_ENV", "credit")
    run = mlt.init_run(project="ctx", capture_hardware_metrics=False)
    run.stop()
    env = mlt.init_run(with_id=run.id, mode="read-only")["source_code"].fetch()
    assert env["environment"]["python"] == ".".join(map(str, sys.version_info[:3]))
    assert env["environment"]["python_executable"] == sys.executable
    assert env["environment"]["conda_env"] == "credit"
    assert env["environment"]["conda_prefix"] == "/opt/conda/envs/credit"
    req = open_store().blobs.get(env["requirements"]["sha256"]).decode()
    import psutil
    import sqlalchemy

    assert f"psutil=={psutil.__version__}\n" in req
    assert f"SQLAlchemy=={sqlalchemy.__version__}\n".lower() in req.lower()
    assert req == requirements()
    names = [line.split("==")[0].lower().replace("_", "-") for line in req.splitlines()]
    assert names == sorted(names) and len(names) == len(set(names))


def test_no_conda_outside_conda(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONDA_PREFIX", raising=False)
    monkeypatch.delenv("CONDA_DEFAULT_ENV", raising=False)
    assert (conda_env() is None) == (not (Path(sys.prefix) / "conda-meta").is_dir())


def test_source_files_globs_in_a_script(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "model.py").write_text("W = 1\n")
    (tmp_path / "pkg" / "data.py").write_text("D = 2\n")
    (tmp_path / "notes.txt").write_text("no\n")
    (tmp_path / "main.py").write_text(
        textwrap.dedent(
            """
            import jupyter_mltrack as mlt
            run = mlt.init_run(project="src", source_files=["**/*.py", "missing/*.py"],
                               capture_hardware_metrics=False)
            run.stop()
            print(run.id)
            """
        )
    )
    done = subprocess.run(
        [sys.executable, "main.py"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "'missing/*.py' matches no file" in done.stderr
    run = mlt.init_run(with_id=done.stdout.strip(), mode="read-only")
    files = run["source_code/files"].fetch()
    assert sorted(f["path"] for f in files) == ["main.py", "pkg/data.py", "pkg/model.py"]
    assert run["source_code/entrypoint"].fetch() == "main.py"


def test_script_that_ends_right_after_init_run_keeps_its_source(tmp_path: Path) -> None:
    # Python deletes __main__.__file__ once the script's last line has run; the one-off
    # captures then still run (at exit, on their thread) and must know the script anyway.
    (tmp_path / "quick.py").write_text(
        "import jupyter_mltrack as mlt\nprint(mlt.init_run(project='quick').id)\n"
    )
    done = subprocess.run(
        [sys.executable, "quick.py"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    run = mlt.init_run(with_id=done.stdout.strip(), mode="read-only")
    assert run["source_code/entrypoint"].fetch() == "quick.py"
    assert [f["path"] for f in run["source_code/files"].fetch()] == ["quick.py"]
    assert run["sys/state"].fetch() == "finished"
