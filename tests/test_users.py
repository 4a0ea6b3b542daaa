"""Users in the real server: bcrypt hashes, roles, lockout, the last admin, sessions, the
login shape."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys

import bcrypt
import pytest

from sla.storage import users, versions
from sla.storage.users import UserError
from tests.conftest import ROOT

PASSWORD = "correct horse"
REFUSED = re.escape(users.LOGIN_REFUSED)


@pytest.fixture
def team(db):
    """The test database with an admin ``alice`` and a viewer ``bob`` (both PASSWORD)."""
    users.add_user(db, "alice", PASSWORD, "admin", name="Alice A.")
    users.add_user(db, "bob", PASSWORD, "viewer")
    return db


def authenticate(db, username: str, password: str) -> dict:
    """The login flow of ``ui.auth`` without Streamlit: the user when the password is right;
    UserError otherwise (and a count towards lockout).

    A wrong password, an unknown user and a locked account get the same answer, after the
    same work, so that nobody learns which names exist or are locked.
    """
    user = users.get_user(db, username or "")
    if user is None:
        users.spend_a_password_check()
        raise users.UserError(users.LOGIN_REFUSED)
    if not users.password_matches(password or "", user["password"]) or users.is_locked(user):
        users.record_failed_login(db, username)
        raise users.UserError(users.LOGIN_REFUSED)
    users.record_login(db, username)
    return {k: v for k, v in user.items() if k not in ("password", "sessions")}


def fail_logins(db, username: str, times: int) -> None:
    for _ in range(times):
        with pytest.raises(UserError, match=REFUSED):
            authenticate(db, username, "wrong password")


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
    user = authenticate(team, "alice", PASSWORD)
    assert user["username"] == "alice" and user["role"] == "admin"
    assert "password" not in user
    assert team.users.find_one({"username": "alice"})["last_login"] is not None
    with pytest.raises(UserError, match=REFUSED):
        authenticate(team, "alice", PASSWORD.upper())
    with pytest.raises(UserError, match=REFUSED):
        authenticate(team, "nobody", PASSWORD)
    assert team.users.find_one({"username": "alice"})["failed_logins"] == 1


def test_five_failed_logins_lock_the_account(team):
    fail_logins(team, "bob", 4)
    assert team.users.find_one({"username": "bob"})["failed_logins"] == 4
    assert authenticate(team, "bob", PASSWORD)["username"] == "bob"  # resets the count
    fail_logins(team, "bob", 4)
    assert not users.is_locked(users.get_user(team, "bob"))  # 4 + 4, not 5 in a row

    fail_logins(team, "bob", 1)  # the fifth in a row
    assert users.is_locked(users.get_user(team, "bob"))
    with pytest.raises(UserError, match=REFUSED):
        authenticate(team, "bob", PASSWORD)  # even the right password
    assert authenticate(team, "alice", PASSWORD)  # others are not affected

    past = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(minutes=1)
    team.users.update_one({"username": "bob"}, {"$set": {"locked_until": past}})
    assert not users.is_locked(users.get_user(team, "bob"))
    assert authenticate(team, "bob", PASSWORD)["username"] == "bob"
    assert team.users.find_one({"username": "bob"})["locked_until"] is None


def test_lockout_lasts_the_lockout_period(team):
    fail_logins(team, "bob", users.MAX_FAILED_LOGINS)
    until = team.users.find_one({"username": "bob"})["locked_until"]
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    assert now + users.LOCKOUT - dt.timedelta(minutes=1) < until <= now + users.LOCKOUT
    assert users.is_locked({"locked_until": until}, now=until - dt.timedelta(seconds=1))
    assert not users.is_locked({"locked_until": until}, now=until)


def test_attempts_while_locked_do_not_extend_the_lock(team):
    fail_logins(team, "bob", users.MAX_FAILED_LOGINS)
    until = team.users.find_one({"username": "bob"})["locked_until"]
    fail_logins(team, "bob", 3 * users.MAX_FAILED_LOGINS)
    stored = team.users.find_one({"username": "bob"})
    assert (stored["locked_until"], stored["failed_logins"]) == (until, 0)

    past = until - users.LOCKOUT - dt.timedelta(seconds=1)
    team.users.update_one({"username": "bob"}, {"$set": {"locked_until": past}})
    fail_logins(team, "bob", 1)  # once the lock is over, failures count again
    assert team.users.find_one({"username": "bob"})["failed_logins"] == 1


def test_one_answer_for_a_wrong_password_an_unknown_user_and_a_locked_account(team):
    fail_logins(team, "bob", users.MAX_FAILED_LOGINS)
    answers = set()
    for username, password in (("alice", "wrong password"), ("nobody", PASSWORD),
                               ("bob", PASSWORD)):
        with pytest.raises(UserError) as refused:
            authenticate(team, username, password)
        answers.add(str(refused.value))
    assert answers == {users.LOGIN_REFUSED}
    assert users.LOGIN_REFUSED.count(".") == 1 and users.LOGIN_REFUSED.endswith(".")


def test_unlock_ends_a_lockout(team):
    fail_logins(team, "alice", users.MAX_FAILED_LOGINS)
    assert users.is_locked(users.get_user(team, "alice"))
    before = versions.versions(team)["users"]
    users.unlock_user(team, "Alice")
    assert not users.is_locked(users.get_user(team, "alice"))
    assert versions.versions(team)["users"] > before
    assert authenticate(team, "alice", PASSWORD)["username"] == "alice"
    with pytest.raises(UserError, match="no user"):
        users.unlock_user(team, "nobody")


def test_unlock_from_the_command_line(team, cli_env):
    fail_logins(team, "alice", users.MAX_FAILED_LOGINS)
    env = {**cli_env, "SLA_DB": team.name}
    result = subprocess.run([sys.executable, "-m", "sla", "user", "unlock", "alice"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=120)
    assert (result.returncode, result.stdout.strip()) == (0, "unlocked alice"), result.stderr
    assert not users.is_locked(users.get_user(team, "alice"))
    result = subprocess.run([sys.executable, "-m", "sla", "user", "unlock", "nobody"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=120)
    assert (result.returncode, result.stderr.strip()) == (2, "error: no user nobody")


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
    assert "sessions" not in authenticate(team, "bob", PASSWORD)


@pytest.mark.parametrize("end_them", [
    lambda db: users.set_password(db, "bob", "another password"),
    lambda db: fail_logins(db, "bob", users.MAX_FAILED_LOGINS),
], ids=["password changed", "locked"])
def test_a_password_change_or_a_lockout_ends_every_session(team, end_them):
    sessions = [users.start_session(team, "bob") for _ in range(3)]
    kept = users.start_session(team, "alice")
    end_them(team)
    assert not any(valid(team, "bob", session_id) for session_id in sessions)
    assert valid(team, "alice", kept)
    users.unlock_user(team, "bob")
    assert not any(valid(team, "bob", session_id) for session_id in sessions)


def test_a_removed_user_has_no_session(team):
    session_id = users.start_session(team, "bob")
    users.remove_user(team, "bob")
    assert not valid(team, "bob", session_id)
    users.add_user(team, "bob", PASSWORD, "viewer")  # the same name again is someone new
    assert not valid(team, "bob", session_id)


def test_a_locked_user_has_no_session_even_if_one_is_recorded(team):
    session_id = users.start_session(team, "bob")
    later = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) + dt.timedelta(minutes=5)
    team.users.update_one({"username": "bob"}, {"$set": {"locked_until": later}})
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
    assert bumps(lambda: fail_logins(team, "bob", users.MAX_FAILED_LOGINS))
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


def test_set_password_resets_failures_and_lock(team):
    fail_logins(team, "bob", 3)
    users.set_password(team, "bob", "new password 1")
    assert team.users.find_one({"username": "bob"})["failed_logins"] == 0

    fail_logins(team, "bob", 5)
    assert users.is_locked(users.get_user(team, "bob"))
    users.set_password(team, "bob", "new password 2")
    stored = team.users.find_one({"username": "bob"})
    assert (stored["failed_logins"], stored["locked_until"]) == (0, None)
    assert authenticate(team, "bob", "new password 2")
    with pytest.raises(UserError):
        authenticate(team, "bob", PASSWORD)
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
