"""Backups through the driver (``sla.storage.backup``, ``python -m sla backup|restore``, the scripts'
fallback without mongodump): backup -> wipe -> restore gives every collection, figure and
history entry back; damaged, foreign and newer archives are refused untouched; a restore that
fails half way changes nothing.

All against the session's real server (tests/conftest.py), and one authenticated server
where the app's least-privilege user does both.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import bson
import pytest
from pymongo import MongoClient
from pymongo.collection import Collection
from pymongo.errors import OperationFailure

from sla.analytics import metrics
from sla.core.filters import Filters
from sla.service import demo, edits, importing
from sla.storage import backup, connection, users, versions, writelock
from sla.storage.settings import get_settings
from sla.storage.tickets import ticket_history
from tests.conftest import ROOT
from tests.test_auth_uri import DB as AUTH_DB
from tests.test_auth_uri import _uri, auth_port  # noqa: F401 - a fixture used below

END = dt.date(2026, 10, 31)
VERSION_FIELDS = ("value", "at")  # what a restore moves on in the version documents


def _export(frame) -> bytes:
    return demo.to_xlsx_bytes(frame, ["SR Report"])


def _fill(db) -> None:
    """Two imports (the second changes tickets, so there is history), a settings change, a
    user and a remembered column mapping: every collection the app writes."""
    first = demo.generate_export(300, seed=5, end=END)
    importing.import_file(db, _export(first), "first.xlsx", user="alice")
    second = first.copy()
    second.loc[: 40, "Status"] = "Closed"
    second.loc[: 20, "Resolved By"] = "Someone Else"
    importing.import_file(db, _export(second), "second.xlsx", user="bob")
    settings = get_settings(db)
    settings["at_risk_fraction"] = 0.6
    edits.save_settings(db, settings, user="alice")
    users.add_user(db, "alice", "a-long-password", "admin")
    db.mappings.insert_one({"_id": "layout-x", "headers": ["a"], "mapping": {}, "positions": {}})


def _everything(db) -> dict:
    """Every app collection's documents (sorted by _id) and indexes; the version documents
    without the fields a restore moves on."""
    held = {}
    for name in backup.app_collections(db):
        documents = sorted(db[name].find({}), key=lambda d: bson.encode({"k": d["_id"]}))
        if name == "meta":
            documents = [{k: v for k, v in d.items()
                          if not (d["_id"] in backup.VERSION_IDS and k in VERSION_FIELDS)}
                         for d in documents]
        indexes = sorted((i["name"], list(i["key"].items()), bool(i.get("unique")))
                         for i in db[name].list_indexes())
        held[name] = {"documents": documents, "indexes": indexes}
    return held


def _figures(db) -> dict:
    everything = Filters()
    settings = get_settings(db)
    return {"summary": metrics.summary(versions.snapshot(db), everything, settings),
            "teams": metrics.teams(versions.snapshot(db), everything),
            "agents": metrics.agents(versions.snapshot(db), everything, settings),
            "history": [ticket_history(db, sr) for sr in sorted(db.tickets.distinct("_id"))]}


def _versions(db) -> tuple[int, int]:
    return versions.data_version(db), versions.versions(db)["users"]


@pytest.fixture(autouse=True)
def installation_key(monkeypatch):
    """This installation's secret, which signs its archives (never the project's own)."""
    monkeypatch.setenv("SLA_COOKIE_KEY", "test-installation-key-0123456789abcdef")


@pytest.fixture
def filled(db):
    _fill(db)
    return db


def test_backup_wipe_restore_gives_every_collection_figure_and_history_back(filled, tmp_path):
    db = filled
    before, figures, versions = _everything(db), _figures(db), _versions(db)
    assert {"tickets", "ticket_history", "uploads", "users", "settings", "mappings", "agents",
            "meta", "readmodel.files", "readmodel.chunks"} <= set(before)
    assert before["ticket_history"]["documents"], "the second import must have made history"

    done = backup.backup(db, tmp_path / "b.zip")
    assert done.collections == len(before)
    assert done.documents == sum(len(c["documents"]) for c in before.values())
    assert not (tmp_path / "b.zip.partial").exists()

    db.client.drop_database(db.name)
    assert backup.app_collections(db) == []
    backup.restore(db, tmp_path / "b.zip")

    assert _everything(db) == before
    assert _figures(db) == figures
    data, users_version = _versions(db)
    assert data > versions[0] and users_version > versions[1], "app processes must reload"
    assert db.meta.find_one({"_id": writelock.LOCK_ID}) is None, "the lock is released"


def test_restore_replaces_what_changed_since_and_moves_versions_past_both(filled, tmp_path):
    db = filled
    backup.backup(db, tmp_path / "b.zip")
    before, figures = _everything(db), _figures(db)
    later = demo.generate_export(50, seed=9, end=END)
    later["SR Number"] = "L-" + later["SR Number"].astype(str)
    importing.import_file(db, _export(later), "later.xlsx")
    db.create_collection("made_later")
    version_now = versions.data_version(db)

    backup.restore(db, tmp_path / "b.zip")

    assert _everything(db) == before, "collections made after the backup are gone too"
    assert _figures(db) == figures
    assert versions.data_version(db) > version_now


def _rewrite(source: Path, target: Path, change, key: str | None = None) -> Path:
    """A copy of an archive with ``change(manifest, members)`` applied, checksums left as
    ``change`` makes them, signed again with ``key`` (this installation's by default), as by
    someone who holds it; ``key=""`` keeps the old signature (someone who does not)."""
    with zipfile.ZipFile(source) as archive:
        manifest = json.loads(archive.read(backup.MANIFEST))
        members = {n: archive.read(n) for n in archive.namelist() if n != backup.MANIFEST}
    change(manifest, members)
    if key != "":
        members[backup.SIGNATURE] = backup.signature(manifest, backup.signing_key(key))
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        archive.writestr(backup.MANIFEST, json.dumps(manifest))
    return target


def _reseal(manifest: dict, members: dict, name: str) -> None:
    """Make the manifest entry of ``name`` match its (changed) member again."""
    data = members[f"{backup.MEMBER_DIR}{name}.bson"]
    manifest["collections"][name].update(
        documents=len(bson.decode_all(data)), bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest())


def _newer_format(manifest, members):
    manifest["format"] = backup.FORMAT + 1


def _flipped_byte(manifest, members):
    key = f"{backup.MEMBER_DIR}tickets.bson"
    data = bytearray(members[key])
    data[len(data) // 2] ^= 0xFF
    members[key] = bytes(data)


def _missing_member(manifest, members):
    del members[f"{backup.MEMBER_DIR}users.bson"]


def _not_a_backup(manifest, members):
    manifest["kind"] = "something else"


@pytest.mark.parametrize("change, message", [
    (_newer_format, "was written by a newer version of SLA Tracker"),
    (_flipped_byte, "is damaged: the collection tickets does not match its checksum"),
    (_missing_member, "is damaged: the collection users is missing"),
    (_not_a_backup, "is not an SLA Tracker backup"),
])
def test_a_bad_archive_is_refused_and_nothing_is_touched(filled, tmp_path, change, message):
    db = filled
    backup.backup(db, tmp_path / "good.zip")
    bad = _rewrite(tmp_path / "good.zip", tmp_path / "bad.zip", change)
    db.tickets.delete_many({"_id": {"$in": db.tickets.distinct("_id")[:5]}})
    before, version = _everything(db), versions.data_version(db)

    with pytest.raises(backup.BackupError, match=message) as refused:
        backup.restore(db, bad)

    assert "\n" not in str(refused.value)
    assert _everything(db) == before and versions.data_version(db) == version


def _swapped_users_and_tickets(manifest, members):
    users_key, tickets_key = (f"{backup.MEMBER_DIR}{n}.bson" for n in ("users", "tickets"))
    members[users_key], members[tickets_key] = members[tickets_key], members[users_key]
    _reseal(manifest, members, "users")
    _reseal(manifest, members, "tickets")


def _users_left_out(manifest, members):
    del members[f"{backup.MEMBER_DIR}users.bson"]
    del manifest["collections"]["users"]


def _no_admin_left(manifest, members):
    key = f"{backup.MEMBER_DIR}users.bson"
    members[key] = b"".join(bson.encode({**user, "role": "viewer"})
                            for user in bson.decode_all(members[key]))
    _reseal(manifest, members, "users")


def _admin_injected(manifest, members):
    key = f"{backup.MEMBER_DIR}users.bson"
    (user, *_) = bson.decode_all(members[key])
    members[key] += bson.encode({**user, "_id": bson.ObjectId(), "username": "mallory",
                                 "role": "admin"})
    _reseal(manifest, members, "users")


@pytest.mark.parametrize("change, key, message", [
    (_admin_injected, "", "was changed since it was written, or written by another"),
    (_admin_injected, "another installation's key, long enough 0123", "was changed since"),
    (_swapped_users_and_tickets, "", "was changed since it was written"),
    (_swapped_users_and_tickets, None, "its users are not users of the app"),
    (_users_left_out, None, "holds no users, so it is not a whole backup"),
    (_no_admin_left, None, "has no admin, so nobody could manage the app"),
])
def test_a_tampered_archive_is_refused_and_nothing_is_touched(filled, tmp_path, change, key,
                                                             message):
    """Changed together with its manifest: refused without the signing key, and refused
    for what it holds even with it (issue 19's probes)."""
    db = filled
    backup.backup(db, tmp_path / "good.zip")
    bad = _rewrite(tmp_path / "good.zip", tmp_path / "bad.zip", change, key)
    before, version = _everything(db), versions.data_version(db)
    with pytest.raises(backup.BackupError, match=message) as refused:
        backup.restore(db, bad)
    assert "\n" not in str(refused.value)
    assert _everything(db) == before and versions.data_version(db) == version
    assert importing.import_file(db, _export(demo.generate_export(20, seed=9, end=END)),
                                 "after.xlsx").tickets == 20  # the store still works


def test_an_unsigned_archive_and_another_installation_s_are_refused(filled, tmp_path,
                                                                    monkeypatch):
    db = filled
    backup.backup(db, tmp_path / "good.zip")
    unsigned = tmp_path / "unsigned.zip"
    with zipfile.ZipFile(tmp_path / "good.zip") as source, \
            zipfile.ZipFile(unsigned, "w") as target:
        for name in source.namelist():
            if name != backup.SIGNATURE:
                target.writestr(name, source.read(name))
    with pytest.raises(backup.BackupError, match="is not signed, so it cannot be trusted"):
        backup.restore(db, unsigned)
    monkeypatch.setenv("SLA_COOKIE_KEY", "another-installation-key-0123456789abcdef")
    with pytest.raises(backup.BackupError, match="restore it with that installation's key"):
        backup.restore(db, tmp_path / "good.zip")
    backup.restore(db, tmp_path / "good.zip", key="test-installation-key-0123456789abcdef")


def test_a_zip_that_is_no_backup_and_a_file_that_is_no_zip_are_refused(db, tmp_path):
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(backup.BackupError, match="it has no manifest.json"):
        backup.restore(db, other)
    text = tmp_path / "notes.zip"
    text.write_text("not a zip")
    with pytest.raises(backup.BackupError, match="not a zip archive"):
        backup.restore(db, text)


def _duplicate_user(manifest, members):
    """Two users with one name: the unique index on users refuses the second."""
    key = f"{backup.MEMBER_DIR}users.bson"
    user = bson.decode_all(members[key])[0]
    members[key] += bson.encode({**user, "_id": bson.ObjectId()})
    _reseal(manifest, members, "users")


def test_a_restore_failing_while_loading_changes_nothing(filled, tmp_path):
    """The archive is sound but the server refuses part of it: two users with one name break
    the unique index on users, after the collections before it were loaded."""
    db = filled
    backup.backup(db, tmp_path / "good.zip")

    bad = _rewrite(tmp_path / "good.zip", tmp_path / "bad.zip", _duplicate_user)
    importing.import_file(db, _export(demo.generate_export(30, seed=4, end=END)), "other.xlsx")
    before, version = _everything(db), versions.data_version(db)

    with pytest.raises(backup.BackupError, match="failed before anything was replaced"):
        backup.restore(db, bad)

    assert _everything(db) == before and versions.data_version(db) == version
    assert not [n for n in db.list_collection_names() if n.startswith("_restore")]


def test_a_restore_after_one_cut_off_while_swapping_keeps_the_set_aside_data(filled, tmp_path):
    """A restore cut off mid-swap (its undo failed too) left ``tickets`` set aside and another
    collection in its place; the next restore, failing while loading, puts it back first."""
    db = filled
    backup.backup(db, tmp_path / "good.zip")
    bad = _rewrite(tmp_path / "good.zip", tmp_path / "bad.zip", _duplicate_user)
    tickets = sorted(db.tickets.find({}), key=lambda d: d["_id"])
    db.tickets.rename(backup.OLD_PREFIX + "tickets")
    db.tickets.insert_one({"_id": "from the archive, half swapped in"})

    with pytest.raises(backup.BackupError, match="failed before anything was replaced"):
        backup.restore(db, bad)

    assert sorted(db.tickets.find({}), key=lambda d: d["_id"]) == tickets
    assert not [n for n in db.list_collection_names() if n.startswith("_restore")]


def test_an_archive_is_readable_by_its_owner_only(filled, tmp_path):
    backup.backup(filled, tmp_path / "b.zip")
    assert (tmp_path / "b.zip").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("step", ["first set aside", "last set aside", "first moved in",
                                  "meta moved in"])
def test_a_restore_failing_while_swapping_is_undone(filled, tmp_path, monkeypatch, step):
    """The server refuses one rename of the swap: every rename already done is undone.

    With n collections the swap is n - 1 renames aside (all but meta), n - 1 in, then meta.
    Undoing renames back each collection set aside and drops each one moved in.
    """
    db = filled
    backup.backup(db, tmp_path / "b.zip")
    importing.import_file(db, _export(demo.generate_export(30, seed=4, end=END)), "other.xlsx")
    before, version = _everything(db), versions.data_version(db)
    n = len(before)
    failing_rename = {"first set aside": 1, "last set aside": n - 1, "first moved in": n,
                      "meta moved in": 2 * n - 1}[step]
    real_rename, calls = Collection.rename, []

    def rename(collection, new_name, **kwargs):
        calls.append(collection.name)
        if len(calls) == failing_rename:
            raise OperationFailure("the server refused the rename", code=8)
        return real_rename(collection, new_name, **kwargs)

    monkeypatch.setattr(Collection, "rename", rename)
    with pytest.raises(backup.BackupError, match="failed and was undone"):
        backup.restore(db, tmp_path / "b.zip")
    monkeypatch.undo()

    set_aside = min(failing_rename - 1, n - 1)
    assert len(calls) == failing_rename + set_aside, "each collection set aside is renamed back"
    assert _everything(db) == before and versions.data_version(db) == version
    assert not [n for n in db.list_collection_names() if n.startswith("_restore")]


def test_a_restore_waits_for_the_write_lock_and_then_is_refused(filled, tmp_path, monkeypatch):
    db = filled
    backup.backup(db, tmp_path / "b.zip")
    monkeypatch.setenv("SLA_LOCK_WAIT_S", "0.5")
    with writelock.write_lock(db, "the import of x.xlsx"):
        with pytest.raises(writelock.Busy, match=r"another change \(the import of x.xlsx\)"):
            backup.restore(db, tmp_path / "b.zip")


# ---------------------------------------------------------------- the command line


def _cli(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sla", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_cli_backup_and_restore(cli_env, db_name, server_uri, tmp_path):
    db = connection.connect(server_uri, db_name)
    _fill(db)
    before, figures = _everything(db), _figures(db)
    archive = tmp_path / "nightly.zip"

    made = _cli(cli_env, "backup", str(archive))
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith(f"backed up {len(before)} collections (")
    db.client.drop_database(db_name)
    restored = _cli(cli_env, "restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    assert restored.stdout.startswith(f"restored {len(before)} collections (")
    assert _everything(db) == before and _figures(db) == figures


def test_cli_errors_are_one_line(cli_env, tmp_path):
    missing = _cli(cli_env, "restore", str(tmp_path / "nope.zip"))
    assert missing.returncode == 2
    assert missing.stderr.strip().splitlines() == [f"error: {tmp_path / 'nope.zip'}: no such file "
                                                   "or directory"]
    newer = tmp_path / "newer.zip"
    with zipfile.ZipFile(newer, "w") as archive:
        archive.writestr(backup.MANIFEST, json.dumps({"format": 99, "kind": backup.KIND,
                                                      "collections": {}}))
    refused = _cli(cli_env, "restore", str(newer))
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [
        f"error: {newer} was written by a newer version of SLA Tracker (backup format 99, this "
        f"version reads up to {backup.FORMAT}); upgrade first"]
    nowhere = _cli(cli_env, "backup", str(tmp_path / "no-such-folder" / "b.zip"))
    assert nowhere.returncode == 2 and len(nowhere.stderr.strip().splitlines()) == 1
    assert "Traceback" not in missing.stderr + refused.stderr + nowhere.stderr


def test_backup_and_restore_as_the_least_privileged_user(auth_port, tmp_path):  # noqa: F811
    """The app user (readWrite on its database only) can do both: no root, no mongodump."""
    db = connection.connect(_uri(auth_port), AUTH_DB)
    _fill(db)
    before, figures = _everything(db), _figures(db)
    backup.backup(db, tmp_path / "b.zip")
    db.tickets.delete_many({})
    db.users.delete_many({})
    backup.restore(db, tmp_path / "b.zip")
    assert _everything(db) == before and _figures(db) == figures
    anonymous = MongoClient(f"mongodb://127.0.0.1:{auth_port}/?directConnection=true",
                            serverSelectionTimeoutMS=2000)
    with pytest.raises(OperationFailure):
        anonymous[AUTH_DB].tickets.find_one()


# ---------------------------------------------------------------- the scripts without mongodump


def _script(name: str, *args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(ROOT / "scripts" / name), *args], env=env,
                          capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)


def test_scripts_use_the_app_when_mongodump_is_absent(cli_env, db_name, server_uri, tmp_path):
    """backup.sh and restore.sh on a PATH without the MongoDB tools: they run
    ``python -m sla backup|restore`` (through sla.sh) and keep their naming and clean-up."""
    db = connection.connect(server_uri, db_name)
    _fill(db)
    before = _everything(db)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "sh", "date", "du", "cut", "find", "sed", "mkdir", "mv", "rm", "dirname"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    backups = tmp_path / "backups"
    env = {**cli_env, "PATH": str(bin_dir), "BACKUP_DIR": str(backups), "BACKUP_KEEP_DAYS": "14",
           "PYTHON": sys.executable}
    backups.mkdir()
    old = backups / "sla-tracker-20000101T000000Z.zip"
    old.write_text("x")
    month_ago = dt.datetime.now().timestamp() - 30 * 86400
    os.utime(old, (month_ago, month_ago))

    made = _script("backup.sh", env=env)
    assert made.returncode == 0, made.stderr
    archives = sorted(backups.glob("sla-tracker-*Z.zip"))
    assert len(archives) == 1 and archives[0] != old, archives
    assert "python -m sla backup" in made.stdout
    assert not old.exists(), "an archive older than BACKUP_KEEP_DAYS is deleted"

    db.client.drop_database(db_name)
    refused = _script("restore.sh", str(archives[0]), env=env)
    assert refused.returncode != 0 and "--yes" in refused.stderr
    restored = _script("restore.sh", "--yes", str(archives[0]), env=env)
    assert restored.returncode == 0, restored.stderr
    assert _everything(db) == before


def test_backup_script_without_mongo_uri_backs_up_the_embedded_store(tmp_path):
    """No MONGO_URI and no mongodump: backup.sh backs up the app's own (embedded) store."""
    env = {k: v for k, v in os.environ.items() if k not in ("MONGO_URI", "SLA_DB")}
    env.update({"SLA_DATA_DIR": str(tmp_path / "data"), "BACKUP_DIR": str(tmp_path / "backups"),
                "PYTHONPATH": str(ROOT)})
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep)
                                  if not (Path(p) / "mongodump").exists())
    try:
        made = _script("backup.sh", env=env)
        assert made.returncode == 0, made.stderr
        archives = list((tmp_path / "backups").glob("sla-tracker-*Z.zip"))
        assert len(archives) == 1 and "python -m sla backup" in made.stdout
        assert backup.read_manifest(archives[0])["database"] == "sla_tracker"
    finally:
        subprocess.run([sys.executable, "-m", "sla", "server", "stop"], env=env, cwd=ROOT,
                       capture_output=True, timeout=60)
