"""stdout/stderr capture: lines into string series while the user still sees everything."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import jupyter_mltrack as mlt
from jupyter_mltrack.capture.console import MAX_LINE, ConsoleCapture
from jupyter_mltrack.store import fields
from jupyter_mltrack.store.engine import open_store


def _lines(run_id: int, path: str) -> list[str]:
    data = fields.read_series(open_store(), run_id, path)
    return [] if data is None else list(data.values)


def test_lines_partial_writes_and_progress_bars(capsys: pytest.CaptureFixture[str]) -> None:
    run = mlt.init_run(project="con", capture_hardware_metrics=False)
    print("epoch 1")
    sys.stdout.write("loss=")
    sys.stdout.write("0.5\nacc=0.9\n")
    for i in range(1000):  # a progress bar redrawn with carriage returns
        sys.stdout.write(f"\r{i / 10:.1f}%")
    sys.stdout.write("\n")
    print("error!", file=sys.stderr)
    sys.stdout.write("no newline at the end")
    run.stop()
    seen = capsys.readouterr()
    assert seen.out.startswith("epoch 1\nloss=0.5\nacc=0.9\n\r0.0%\r0.1%")
    assert seen.out.endswith("\r99.9%\nno newline at the end")
    assert seen.err == "error!\n"
    assert _lines(run.info.id, "monitoring/stdout") == [
        "epoch 1",
        "loss=0.5",
        "acc=0.9",
        "99.9%",  # what the terminal showed, not 1,000 redraws
        "no newline at the end",  # flushed when the run stopped
    ]
    assert _lines(run.info.id, "monitoring/stderr") == ["error!"]


def test_stream_is_restored_and_runs_stop_in_any_order() -> None:
    before = sys.stdout
    a = mlt.init_run(project="con", capture_hardware_metrics=False, capture_stderr=False)
    b = mlt.init_run(project="con", capture_hardware_metrics=False, capture_stderr=False)
    print("both")
    a.stop()
    print("only b")
    b.stop()
    print("nobody")
    assert sys.stdout is before
    assert _lines(a.info.id, "monitoring/stdout") == ["both"]
    assert _lines(b.info.id, "monitoring/stdout") == ["both", "only b"]


def test_capture_off_by_argument_or_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLTRACK_CAPTURE_STDERR", "off")
    run = mlt.init_run(project="con", capture_hardware_metrics=False, capture_stdout=False)
    print("out")
    print("err", file=sys.stderr)
    run.stop()
    assert _lines(run.info.id, "monitoring/stdout") == []
    assert _lines(run.info.id, "monitoring/stderr") == []
    monkeypatch.setenv("MLTRACK_CAPTURE_STDERR", "maybe")
    with pytest.raises(Exception, match="MLTRACK_CAPTURE_STDERR='maybe'"):
        mlt.init_run(project="con")


def test_huge_line_is_cut_into_pieces_and_a_print_in_a_listener_does_not_loop() -> None:
    run = mlt.init_run(project="con", capture_hardware_metrics=False, capture_stdout=False)
    cap = ConsoleCapture(run, "stdout", prefix="echo")

    def noisy(line: str, ts: float) -> None:  # a listener that prints must not feed itself
        print("listener saw", len(line))
        cap.run[cap.path].log(line, timestamp=ts)

    cap._line = noisy  # type: ignore[method-assign]
    cap.start()
    print("x" * (MAX_LINE * 2 + 5))
    cap.stop()
    run.stop()
    assert [len(x) for x in _lines(run.info.id, "echo/stdout")] == [MAX_LINE, MAX_LINE, 5]


SCRIPT = """
import sys, time
import jupyter_mltrack as mlt
run = mlt.init_run(project="script", monitoring_interval=0.2)
print("hello from the script")
sys.stdout.write("progress 1\\rprogress 2\\rprogress 3\\n")
print("a warning", file=sys.stderr)
time.sleep(0.7)
print("bye", end="")
# no run.stop(): the client's exit hook stops it, and the captures with it
"""


def test_console_in_a_script_keeps_what_the_user_sees(tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(SCRIPT))
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == b"hello from the script\nprogress 1\rprogress 2\rprogress 3\nbye"
    assert done.stderr == b"a warning\n"
    run = mlt.init_run(project="script", with_id="SCRI-1", mode="read-only")
    assert run["sys/state"].fetch() == "finished"
    rid = run.info.id
    assert _lines(rid, "monitoring/stdout") == ["hello from the script", "progress 3", "bye"]
    assert _lines(rid, "monitoring/stderr") == ["a warning"]
    cpu = fields.read_series(open_store(), rid, "monitoring/cpu")
    assert cpu is not None and len(cpu) >= 1
    # The script itself is the run's source code.
    assert run["source_code/entrypoint"].fetch() == "train.py"
    files = run["source_code/files"].fetch()
    assert [f["path"] for f in files] == ["train.py"] and files[0]["uploaded"]
    assert open_store().blobs.get(files[0]["sha256"]) == script.read_bytes()


FORK = """
import os, sys
import jupyter_mltrack as mlt
run = mlt.init_run(project="fork", capture_hardware_metrics=False)
print("parent before")
pid = os.fork()
if pid == 0:  # a data-loader worker, say: its prints belong to the run too
    print("from child")
    sys.exit(0)
os.waitpid(pid, 0)
print("parent after")
run.stop()
"""


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork")
def test_a_forked_child_prints_into_the_run(tmp_path: Path) -> None:
    script = tmp_path / "fork.py"
    script.write_text(FORK)
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["parent before", "from child", "parent after"]
    run = mlt.init_run(project="fork", with_id="FORK-1", mode="read-only")
    assert sorted(_lines(run.info.id, "monitoring/stdout")) == [
        "from child",
        "parent after",
        "parent before",
    ]
