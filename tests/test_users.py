"""Users in the real server: bcrypt hashes, roles, lockout, the last admin, the login shape."""

from __future__ import annotations

import datetime as dt

import bcrypt
import pytest

from sla import users
from sla.users import UserError

PASSWORD = "correct horse"


@pytest.fixture
def team(db):
    """The test database with an admin ``alice`` and a viewer ``bob`` (both PASSWORD)."""
    users.add_user(db, "alice", PASSWORD, "admin", name="Alice A.")
    users.add_user(db, "bob", PASSWORD, "viewer")
    return db


def fail_logins(db, username: str, times: int) -> None:
    for _ in range(times):
        with pytest.raises(UserError, match="wrong user name or password"):
            users.authenticate(db, username, "wrong password")


def test_add_and_list_without_hashes(team):
    listed = users.list_users(team)
    assert [(u["username"], u["role"], u["name"]) for u in listed] == [
        ("alice", "admin", "Alice A."), ("bob", "viewer", "bob")]
    for user in listed:
        assert "password" not in user and "_id" not in user
        assert not any(isinstance(v, str) and v.startswith("$2") for v in user.values())
    stored = team.users.find_one({"username": "alice"})
    assert stored["password"] != PASSWORD
    assert bcrypt.checkpw(PASSWORD.encode(), stored["password"].encode())
    assert users.has_users(team) and users.admin_count(team) == 1


def test_duplicate_and_invalid_users_are_rejected(team):
    with pytest.raises(UserError, match="exists already"):
        users.add_user(team, "alice", "another password", "viewer")
    with pytest.raises(UserError, match="role"):
        users.add_user(team, "carol", PASSWORD, "superuser")
    with pytest.raises(UserError, match="at least 8"):
        users.add_user(team, "carol", "short", "viewer")
    with pytest.raises(UserError, match="user name"):
        users.add_user(team, "carol smith", PASSWORD, "viewer")
    assert team.users.count_documents({}) == 2
    assert team.users.find_one({"username": "alice"})["role"] == "admin"


def test_authenticate_right_and_wrong(team):
    user = users.authenticate(team, "alice", PASSWORD)
    assert user["username"] == "alice" and user["role"] == "admin"
    assert "password" not in user
    assert team.users.find_one({"username": "alice"})["last_login"] is not None
    with pytest.raises(UserError, match="wrong user name or password"):
        users.authenticate(team, "alice", PASSWORD.upper())
    with pytest.raises(UserError, match="wrong user name or password"):
        users.authenticate(team, "nobody", PASSWORD)
    assert team.users.find_one({"username": "alice"})["failed_logins"] == 1


def test_five_failed_logins_lock_the_account(team):
    fail_logins(team, "bob", 4)
    assert team.users.find_one({"username": "bob"})["failed_logins"] == 4
    assert users.authenticate(team, "bob", PASSWORD)["username"] == "bob"  # resets the count
    fail_logins(team, "bob", 4)
    assert not users.is_locked(users.get_user(team, "bob"))  # 4 + 4, not 5 in a row

    fail_logins(team, "bob", 1)  # the fifth in a row
    assert users.is_locked(users.get_user(team, "bob"))
    with pytest.raises(UserError, match="locked"):
        users.authenticate(team, "bob", PASSWORD)  # even the right password
    assert users.authenticate(team, "alice", PASSWORD)  # others are not affected

    past = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(minutes=1)
    team.users.update_one({"username": "bob"}, {"$set": {"locked_until": past}})
    assert not users.is_locked(users.get_user(team, "bob"))
    assert users.authenticate(team, "bob", PASSWORD)["username"] == "bob"
    assert team.users.find_one({"username": "bob"})["locked_until"] is None


def test_lockout_lasts_the_lockout_period(team):
    fail_logins(team, "bob", users.MAX_FAILED_LOGINS)
    until = team.users.find_one({"username": "bob"})["locked_until"]
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    assert now + users.LOCKOUT - dt.timedelta(minutes=1) < until <= now + users.LOCKOUT
    assert users.is_locked({"locked_until": until}, now=until - dt.timedelta(seconds=1))
    assert not users.is_locked({"locked_until": until}, now=until)


def test_the_last_admin_cannot_be_removed_or_demoted(team):
    with pytest.raises(UserError, match="last admin"):
        users.remove_user(team, "alice")
    with pytest.raises(UserError, match="last admin"):
        users.set_role(team, "alice", "viewer")
    assert users.get_user(team, "alice")["role"] == "admin"

    users.set_role(team, "bob", "admin")
    users.set_role(team, "alice", "viewer")  # bob is an admin now
    assert users.get_user(team, "alice")["role"] == "viewer"
    with pytest.raises(UserError, match="last admin"):
        users.remove_user(team, "bob")
    users.remove_user(team, "alice")
    assert [u["username"] for u in users.list_users(team)] == ["bob"]
    with pytest.raises(UserError, match="no user"):
        users.remove_user(team, "alice")


def test_set_password_resets_failures_and_lock(team):
    fail_logins(team, "bob", 3)
    users.set_password(team, "bob", "new password 1")
    assert team.users.find_one({"username": "bob"})["failed_logins"] == 0

    fail_logins(team, "bob", 5)
    assert users.is_locked(users.get_user(team, "bob"))
    users.set_password(team, "bob", "new password 2")
    stored = team.users.find_one({"username": "bob"})
    assert (stored["failed_logins"], stored["locked_until"]) == (0, None)
    assert users.authenticate(team, "bob", "new password 2")
    with pytest.raises(UserError):
        users.authenticate(team, "bob", PASSWORD)
    with pytest.raises(UserError, match="at least 8"):
        users.set_password(team, "bob", "short")
    with pytest.raises(UserError, match="no user"):
        users.set_password(team, "nobody", "long enough")


def test_credentials_shape_for_streamlit_authenticator(team):
    from streamlit_authenticator.utilities.hasher import Hasher

    creds = users.credentials(team)
    assert set(creds) == {"usernames"}
    assert set(creds["usernames"]) == {"alice", "bob"}
    alice = creds["usernames"]["alice"]
    assert alice["name"] == "Alice A." and alice["roles"] == ["admin"]
    assert creds["usernames"]["bob"]["roles"] == ["viewer"]
    for entry in creds["usernames"].values():
        assert {"name", "password", "roles"} <= set(entry)
        assert entry["password"].startswith("$2")
        assert Hasher.is_hash(entry["password"])  # so the authenticator will not re-hash it
        assert bcrypt.checkpw(PASSWORD.encode(), entry["password"].encode())
