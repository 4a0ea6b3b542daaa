"""``sla.service.watcher`` and ``./sla.sh watch`` against the test server and a real folder:
each new or changed export imported once, in arrival order, as an upload is; a file still being
written left for later; a bad file moved aside with its reason and nothing stored changed; a
folder that goes away said once, and the watcher going on when it is back."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sla.core import display
from sla.service import demo, watcher
from sla.storage import clock, versions
from tests.conftest import ROOT
from tests.handset import HAND_CSV
from tests.test_cli import assert_one_error_line, database, sla
from tests.test_pages import app_db, as_user, hand_app, new_app  # noqa: F401 (fixtures)

LATER = HAND_CSV.replace("T10,2026-03-18 00:00,Pending,P1,L1 Desk,,0.2,,Met,",
                         "T10,2026-03-18 00:00,Resolved,P1,L1 Desk,Ann,0.2,4,Met,Met")


def drop(folder: Path, name: str, text: str, age_s: float = 60.0) -> Path:
    """Write an export into the watched folder, modified ``age_s`` seconds ago."""
    path = folder / name
    path.write_text(text, encoding="utf-8")
    stamp = time.time() - age_s
    os.utime(path, (stamp, stamp))
    return path


def imported(db) -> list[tuple[str, str]]:
    """(file name, user) of each import, oldest first."""
    return [(u["file_name"], u["user"]) for u in db.uploads.find().sort([("at", 1), ("_id", 1)])]


def test_each_new_or_changed_export_is_imported_once_in_arrival_order(db, tmp_path):
    drop(tmp_path, "b-second.csv", LATER, age_s=60)
    drop(tmp_path, "a-first.csv", HAND_CSV, age_s=120)
    drop(tmp_path, "notes.txt", "not an export")
    taken = watcher.watch_pass(db, tmp_path)
    assert [(t.name, t.report.inserted, t.report.updated) for t in taken] == [
        ("a-first.csv", 10, 0), ("b-second.csv", 0, 1)]
    assert imported(db) == [("a-first.csv", "watcher"), ("b-second.csv", "watcher")]
    assert db.tickets.find_one({"_id": "T10"})["status"] == "Resolved"

    assert watcher.watch_pass(db, tmp_path) == []
    os.utime(tmp_path / "a-first.csv")  # touched, not changed
    assert watcher.watch_pass(db, tmp_path, now=lambda: time.time() + 60) == []
    drop(tmp_path, "a-first.csv", HAND_CSV.replace("Weird Group", "L2 Apps"), age_s=10)
    again = watcher.watch_pass(db, tmp_path)
    assert [(t.name, t.report.updated) for t in again] == [("a-first.csv", 2)]  # T7, T10
    assert len(imported(db)) == 3


def test_a_file_still_being_written_waits_for_a_later_pass(db, tmp_path):
    drop(tmp_path, "fresh.csv", HAND_CSV, age_s=1)
    assert watcher.watch_pass(db, tmp_path, settle=5) == []
    assert imported(db) == []
    later = watcher.watch_pass(db, tmp_path, settle=5, now=lambda: time.time() + 10)
    assert [t.name for t in later] == ["fresh.csv"]


def test_a_file_that_fails_is_moved_aside_with_its_reason_and_changes_nothing(db, tmp_path):
    drop(tmp_path, "good.csv", HAND_CSV)
    watcher.watch_pass(db, tmp_path)
    version = versions.data_version(db)
    drop(tmp_path, "page.csv", "<html><body><table><tr><td>x</td></tr></table></body></html>")
    drop(tmp_path, "empty.xlsx", "")
    taken = watcher.watch_pass(db, tmp_path)
    assert [(t.name, t.report, t.moved) for t in taken] == [("page.csv", None, True),
                                                            ("empty.xlsx", None, True)]
    assert all(t.reason and "\n" not in t.reason for t in taken)
    failed = tmp_path / watcher.FAILED
    assert sorted(p.name for p in failed.iterdir()) == [
        "empty.xlsx", "empty.xlsx.reason.txt", "page.csv", "page.csv.reason.txt"]
    assert (failed / "page.csv.reason.txt").read_text().strip() == taken[0].reason
    assert versions.data_version(db) == version and db.tickets.count_documents({}) == 10
    assert watcher.watch_pass(db, tmp_path) == []


def test_a_folder_that_is_not_there_is_named_in_one_sentence(db, tmp_path):
    with pytest.raises(watcher.WatchError, match=f"The watched folder {tmp_path / 'gone'} is "
                                                 "gone or is not a folder."):
        watcher.watch_pass(db, tmp_path / "gone")


def test_home_says_when_a_folder_is_gone_unwatched_or_held_a_file_that_failed(db, tmp_path):
    folder = tmp_path / "drop"
    folder.mkdir()
    watcher.watch_pass(db, folder, every_s=10)
    now = clock.now()
    assert watcher.folder_states(db, now) == [("info", f"Drop folder {folder}: looked at "
                                                       "0 min ago.")]
    (level, said), = watcher.folder_states(db, now + dt.timedelta(minutes=5))
    assert level == "warning" and said.startswith(f"The drop folder {folder} was last looked "
                                                  "at 5 min ago: is the watcher running")
    drop(folder, "page.csv", "<html><body><table><tr><td>x</td></tr></table></body></html>")
    (taken,) = watcher.watch_pass(db, folder, every_s=10)
    shutil.rmtree(folder)
    with pytest.raises(watcher.WatchError):
        watcher.watch_pass(db, folder, every_s=10)
    (gone, failed) = watcher.folder_states(db)
    assert gone[0] == "warning" and gone[1].startswith(
        f"The watched folder {folder} is gone or is not a folder. The watcher has said so "
        "since ")
    assert failed[0] == "info" and failed[1].startswith(
        f"The last file that failed there: page.csv, on {clock.now():%d %b %Y} ")
    assert failed[1].endswith(f" UTC ({taken.reason})")
    folder.mkdir()
    watcher.watch_pass(db, folder, every_s=10)
    assert watcher.folder_states(db)[0][0] == "info"


def test_only_an_admin_sees_the_drop_folders_on_home(hand_app, tmp_path):
    with pytest.raises(watcher.WatchError):
        watcher.watch_pass(hand_app, tmp_path / "gone-folder", every_s=10)
    admin, viewer = as_user("alice", new_app()), as_user("victor", new_app())
    admin.run()
    viewer.run()
    assert [w.value for w in admin.warning] == [display.literal(
        watcher.folder_states(hand_app)[0][1], None)]
    assert "gone-folder" in admin.warning[0].value.replace("\\", "")
    assert [w.value for w in viewer.warning] == []


def test_the_command_imports_files_arriving_while_one_imports_and_outlives_the_folder(
        cli_env, tmp_path):
    folder = tmp_path / "drop"
    folder.mkdir()
    big = demo.generate_export(3000, seed=3).to_csv(index=False)
    process = subprocess.Popen([sys.executable, "-m", "sla", "watch", str(folder), "--every",
                                "0.3", "--settle", "0.5"], cwd=ROOT, env=cli_env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        drop(folder, "1-big.csv", big, age_s=30)
        store = database(cli_env)
        wait_for(lambda: store.uploads.count_documents({}) >= 1 or None, "the first import")
        drop(folder, "2-hand.csv", HAND_CSV, age_s=20)  # while the big one may still import
        drop(folder, "3-later.csv", LATER, age_s=10)
        wait_for(lambda: store.uploads.count_documents({"status": "done"}) == 3 or None,
                 "three imports")
        shutil.rmtree(folder)
        time.sleep(1.5)
        folder.mkdir()
        time.sleep(1.0)
        assert [name for name, _ in imported(store)] == ["1-big.csv", "2-hand.csv",
                                                         "3-later.csv"]
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert out.count("imported ") == 3 and f"{folder} can be read again" in out
    gone = [line for line in err.splitlines() if line.startswith("error:")]
    assert gone == [f"error: The watched folder {folder} is gone or is not a folder. "
                    "(looking again every 0.3 s)"]


def test_one_pass_on_a_missing_folder_is_one_line_and_exit_2(cli_env, tmp_path):
    result = sla(cli_env, "watch", tmp_path / "nowhere", "--once", ok=False)
    assert result.returncode == 2
    assert "nowhere is gone or is not a folder" in assert_one_error_line(result)


def wait_for(check, what: str, timeout_s: float = 180.0):
    """Poll ``check`` until it returns a value; fail naming ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    pytest.fail(f"no {what} within {timeout_s:.0f} s")
