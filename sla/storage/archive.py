"""A backup archive as a thing to trust or refuse: its members, its manifest and the
manifest's signature, and the checks a restore makes on all of them before it touches
anything (``sla.storage.backup`` writes and restores archives)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import struct
import zipfile
from collections.abc import Iterator
from pathlib import Path

import bson
from bson.errors import BSONError

from sla.core import config
from sla.storage import connection, users

log = logging.getLogger("sla")

FORMAT = 1
KIND = "sla-tracker backup"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
MEMBER_DIR = "collections/"
NEW_PREFIX = "_restore_new."
OLD_PREFIX = "_restore_old."
REQUIRED = ("users",)  # a store without them cannot be used (nobody can log in)
MAX_DOCUMENT = 16 * 1024 * 1024 + 16 * 1024  # the server's limit, plus BSON's overhead


class BackupError(connection.StoreError):
    """A backup or restore that cannot be made; the message is one line for the user."""


def signing_key(key: str | None = None) -> bytes:
    """The key archives are signed with: ``key`` when given, else this installation's secret
    (SLA_COOKIE_KEY, or the key file in the data folder), never stored in an archive."""
    secret = key if key is not None else config.cookie_key()
    return hashlib.sha256(b"sla-tracker backup manifest\0" + secret.encode()).digest()


def signature(manifest: dict, key: bytes) -> str:
    """The manifest's HMAC-SHA256, over its canonical JSON (key order and spacing aside)."""
    canonical = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(key, canonical, hashlib.sha256).hexdigest()


def read_manifest(path: Path, key: str | None = None) -> dict:
    """The archive's manifest after checking the whole archive; BackupError when any of it is
    missing, damaged, of a newer format or not signed with ``signing_key(key)``."""
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = _manifest(archive, path)
            _check_signature(archive, path, manifest, signing_key(key))
            for name, entry in manifest["collections"].items():
                _check_member(archive, path, name, entry)
    except zipfile.BadZipFile:
        raise BackupError(f"{path} is not an SLA Tracker backup (not a zip archive)") from None
    except (zipfile.LargeZipFile, EOFError, ValueError) as exc:
        log.info("archive %s is damaged: %s", path, exc)
        raise BackupError(f"{path} is damaged and cannot be restored") from None
    return manifest


def _manifest(archive: zipfile.ZipFile, path: Path) -> dict:
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except KeyError:
        raise BackupError(f"{path} is not an SLA Tracker backup (it has no {MANIFEST})") from None
    except ValueError:
        raise BackupError(f"{path} is damaged: its {MANIFEST} cannot be read") from None
    if not isinstance(manifest, dict) or manifest.get("kind") != KIND:
        raise BackupError(f"{path} is not an SLA Tracker backup")
    number = manifest.get("format")
    if not isinstance(number, int) or number < 1:
        raise BackupError(f"{path} is damaged: its backup format {number!r} is not valid")
    if number > FORMAT:
        raise BackupError(f"{path} was written by a newer version of SLA Tracker (backup "
                          f"format {number}, this version reads up to {FORMAT}); upgrade first")
    collections = manifest.get("collections")
    if not isinstance(collections, dict) or not all(
            isinstance(entry, dict) and {"documents", "bytes", "sha256"} <= entry.keys()
            for entry in collections.values()):
        raise BackupError(f"{path} is damaged: its {MANIFEST} lists no valid collections")
    for name in collections:
        if not _valid_name(name):
            raise BackupError(f"{path} is damaged: it holds a collection named {name!r}")
    return manifest


def _check_signature(archive: zipfile.ZipFile, path: Path, manifest: dict, key: bytes) -> None:
    try:
        signed = archive.read(SIGNATURE).decode("ascii", "replace").strip()
    except KeyError:
        raise BackupError(f"{path} is not signed, so it cannot be trusted; make a new backup "
                          "with this version") from None
    if not hmac.compare_digest(signed, signature(manifest, key)):
        raise BackupError(f"{path} was changed since it was written, or written by another "
                          "installation (restore it with that installation's key: --key)")


def check_restorable(path: Path, manifest: dict) -> None:
    """The (checked) archive holds an app's data, so that restoring it leaves a usable app:
    its users (each with a name, a known role and a password hash; at least one admin) and
    tickets keyed by their SR number. BackupError when not."""
    try:
        with zipfile.ZipFile(path) as archive:
            _check_contents(archive, path, manifest)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as exc:
        log.info("archive %s is damaged: %s", path, exc)
        raise BackupError(f"{path} is damaged and cannot be restored") from None


def _check_contents(archive: zipfile.ZipFile, path: Path, manifest: dict) -> None:
    for name in REQUIRED:
        if name not in manifest["collections"]:
            raise BackupError(f"{path} holds no {name}, so it is not a whole backup of the app")
    admins = 0
    for document in documents(archive, "users"):
        user = _decoded(document, path, "users")
        if not (isinstance(user.get("username"), str) and user.get("role") in users.ROLES
                and isinstance(user.get("password"), str)):
            raise BackupError(f"{path} is damaged: its users are not users of the app")
        admins += user["role"] == "admin"
    if not admins:
        raise BackupError(f"{path} has no admin, so nobody could manage the app after a restore")
    if "tickets" in manifest["collections"]:
        for document in documents(archive, "tickets"):
            ticket = _decoded(document, path, "tickets")
            if not isinstance(ticket.get("_id"), str) or ticket.get("sr_number") != ticket["_id"]:
                raise BackupError(f"{path} is damaged: its tickets are not tickets of the app")


def _decoded(document: bytes, path: Path, name: str) -> dict:
    try:
        return bson.decode(document)
    except (BSONError, ValueError):
        raise BackupError(f"{path} is damaged: a document of {name} cannot be read") from None


def _valid_name(name: str) -> bool:
    return (isinstance(name, str) and 0 < len(name) <= 100 and "$" not in name
            and "\0" not in name and "/" not in name
            and not name.startswith(("system.", NEW_PREFIX, OLD_PREFIX, ".")))


def _check_member(archive: zipfile.ZipFile, path: Path, name: str, entry: dict) -> None:
    """The member holds exactly the documents, bytes and checksum its manifest entry says."""
    digest, size, count = hashlib.sha256(), 0, 0
    try:
        for document in documents(archive, name):
            digest.update(document)
            size += len(document)
            count += 1
    except KeyError:
        raise BackupError(f"{path} is damaged: the collection {name} is missing") from None
    if (count, size, digest.hexdigest()) != (entry["documents"], entry["bytes"], entry["sha256"]):
        log.info("archive %s, collection %s: %s documents, %s bytes, sha256 %s; manifest: %s",
                 path, name, count, size, digest.hexdigest(), entry)
        raise BackupError(f"{path} is damaged: the collection {name} does not match its checksum")


def documents(archive: zipfile.ZipFile, name: str) -> Iterator[bytes]:
    """The member's BSON documents, one at a time (ValueError when the framing is broken)."""
    with archive.open(MEMBER_DIR + name + ".bson") as member:
        while head := member.read(4):
            if len(head) < 4:
                raise ValueError(f"{name}: truncated document length")
            length = struct.unpack("<i", head)[0]
            if not 5 <= length <= MAX_DOCUMENT:
                raise ValueError(f"{name}: document length {length} out of range")
            body = member.read(length - 4)
            if len(body) != length - 4 or body[-1:] != b"\0":
                raise ValueError(f"{name}: truncated document")
            yield head + body
