"""Users in the real server: bcrypt hashes, roles, the last admin, sessions, the login
shape."""

from __future__ import annotations

import bcrypt
import pytest

from sla.service import accounts
from sla.storage import users, versions
from sla.storage.users import UserError

PASSWORD = "correct horse"


@pytest.fixture
def team(db):
    """The test database with an admin ``alice`` and a viewer ``bob`` (both PASSWORD)."""
    users.add_user(db, "alice", PASSWORD, "admin", name="Alice A.")
    users.add_user(db, "bob", PASSWORD, "viewer")
    return db


def authenticate(db, username: str, password: str) -> bool:
    """A password check as the login form makes it (``accounts.check_login``, from one
    address)."""
    return accounts.check_login(db, username, password, "192.0.2.1")


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


def test_a_password_longer_than_bcrypt_reads_is_refused(team):
    longest = "é" * (users.MAX_PASSWORD_BYTES // 2)  # 72 bytes in UTF-8
    users.add_user(team, "carol", longest, "viewer")
    assert authenticate(team, "carol", longest)
    for password in (longest + "x", "x" * (users.MAX_PASSWORD_BYTES + 1)):
        with pytest.raises(UserError, match="at most 72 characters") as refused:
            users.add_user(team, "dave", password, "viewer")
        assert "\n" not in str(refused.value)
        with pytest.raises(UserError, match="at most 72 characters"):
            users.set_password(team, "bob", password)
    assert users.get_user(team, "dave") is None
    assert authenticate(team, "bob", PASSWORD)


# ---------------------------------------------------------------- sessions

def valid(db, username: str, session_id: str) -> bool:
    return users.session_is_valid(users.get_user(db, username), session_id)


def test_a_session_lasts_until_its_logout(team):
    first = users.start_session(team, "bob")
    second = users.start_session(team, "bob")
    assert first != second and valid(team, "bob", first) and valid(team, "bob", second)
    assert not valid(team, "alice", first)  # a session belongs to its user
    assert team.users.find_one({"username": "bob"})["last_login"] is not None
    users.end_session(team, "bob", first)
    assert not valid(team, "bob", first)
    assert valid(team, "bob", second)  # the other browser stays logged in
    assert not users.session_is_valid(users.get_user(team, "bob"), None)
    assert not users.session_is_valid(None, second)


def test_the_database_keeps_digests_of_session_ids_only(team):
    session_id = users.start_session(team, "bob")
    stored = team.users.find_one({"username": "bob"})
    assert session_id not in str(stored) and len(stored["sessions"]) == 1
    assert all("sessions" not in user for user in users.list_users(team))


def test_a_password_change_ends_every_session(team):
    sessions = [users.start_session(team, "bob") for _ in range(3)]
    kept = users.start_session(team, "alice")
    users.set_password(team, "bob", "another password")
    assert not any(valid(team, "bob", session_id) for session_id in sessions)
    assert valid(team, "alice", kept)


def test_a_removed_user_has_no_session(team):
    session_id = users.start_session(team, "bob")
    users.remove_user(team, "bob")
    assert not valid(team, "bob", session_id)
    users.add_user(team, "bob", PASSWORD, "viewer")  # the same name again is someone new
    assert not valid(team, "bob", session_id)


def test_sessions_are_capped_oldest_first(team):
    sessions = [users.start_session(team, "bob") for _ in range(users.MAX_SESSIONS + 1)]
    assert not valid(team, "bob", sessions[0])
    assert all(valid(team, "bob", session_id) for session_id in sessions[1:])


def test_every_session_change_bumps_the_users_version(team):
    def bumps(change) -> bool:
        before = versions.versions(team)["users"]
        change()
        return versions.versions(team)["users"] > before

    session_id = users.start_session(team, "bob")
    assert bumps(lambda: users.start_session(team, "bob"))
    assert bumps(lambda: users.end_session(team, "bob", session_id))
    assert bumps(lambda: users.set_password(team, "bob", "another password"))
    assert bumps(lambda: users.remove_user(team, "bob"))


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


def test_set_password(team):
    users.set_password(team, "bob", "new password 2")
    assert authenticate(team, "bob", "new password 2")
    assert not authenticate(team, "bob", PASSWORD)
    with pytest.raises(UserError, match="at least 8"):
        users.set_password(team, "bob", "short")
    with pytest.raises(UserError, match="no user"):
        users.set_password(team, "nobody", "long enough")


def test_credentials_shape_for_streamlit_authenticator(team):
    creds = users.credentials(team)
    assert set(creds) == {"usernames"}
    assert set(creds["usernames"]) == {"alice", "bob"}
    alice = creds["usernames"]["alice"]
    assert alice["name"] == "Alice A." and alice["roles"] == ["admin"]
    assert creds["usernames"]["bob"]["roles"] == ["viewer"]
    for entry in creds["usernames"].values():
        assert {"name", "password", "roles"} <= set(entry)
        assert entry["password"] == ""  # the form never sees a hash: check_login checks


def test_password_of_an_unknown_name_is_a_hash_nothing_matches(team):
    assert bcrypt.checkpw(PASSWORD.encode(), users.password_of(team, "Alice").encode())
    unknown = users.password_of(team, "nobody")
    assert unknown.startswith("$2") and not users.password_matches(PASSWORD, unknown)
