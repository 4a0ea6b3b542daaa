"""The login policy against the real store: attempts counted atomically before the password
check (also when sent at the same moment from threads), per address and per name from an
address, never locking the user out elsewhere or ending their sessions; unlock."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest

from sla.service import accounts
from sla.storage import logins, users, versions
from tests.conftest import ROOT

PASSWORD = "correct horse"
ATTACKER = "203.0.113.7"
OFFICE = "198.51.100.2"


@pytest.fixture
def team(db):
    """The test database with an admin ``alice`` and a viewer ``bob`` (both PASSWORD)."""
    users.add_user(db, "alice", PASSWORD, "admin")
    users.add_user(db, "bob", PASSWORD, "viewer")
    return db


def fail(db, username: str, times: int, address: str = ATTACKER) -> None:
    for _ in range(times):
        assert not accounts.check_login(db, username, "wrong password", address)


def test_right_and_wrong_passwords(team):
    assert accounts.check_login(team, "Alice", PASSWORD, OFFICE)
    assert not accounts.check_login(team, "alice", PASSWORD.upper(), OFFICE)
    assert not accounts.check_login(team, "nobody", PASSWORD, OFFICE)


def test_five_failures_refuse_even_the_right_password_from_that_address(team):
    fail(team, "bob", accounts.ATTEMPTS_PER_USER - 1)
    assert accounts.check_login(team, "bob", PASSWORD, ATTACKER)  # a success forgives them
    fail(team, "bob", accounts.ATTEMPTS_PER_USER)
    assert not accounts.check_login(team, "bob", PASSWORD, ATTACKER)
    assert accounts.refused_addresses(team) == {"bob": [ATTACKER]}
    assert accounts.check_login(team, "bob", PASSWORD, OFFICE)  # the user elsewhere: in
    assert accounts.check_login(team, "alice", PASSWORD, ATTACKER)  # another name: in


def test_failures_never_end_the_users_sessions(team):
    session = users.start_session(team, "bob")
    before = versions.versions(team)["users"]
    fail(team, "bob", 3 * accounts.ATTEMPTS_PER_USER)
    assert users.session_is_valid(users.get_user(team, "bob"), session)
    assert versions.versions(team)["users"] == before


def test_an_address_trying_many_names_is_refused_for_all_of_them(team):
    for number in range(accounts.ATTEMPTS_PER_ADDRESS):
        assert not accounts.check_login(team, f"guess{number}", PASSWORD, ATTACKER)
    assert not accounts.check_login(team, "alice", PASSWORD, ATTACKER)
    assert accounts.refused_addresses(team)[""] == [ATTACKER]
    assert accounts.check_login(team, "alice", PASSWORD, OFFICE)


def test_successful_logins_do_not_use_up_an_offices_address(team):
    for _ in range(2 * accounts.ATTEMPTS_PER_ADDRESS):
        assert accounts.check_login(team, "alice", PASSWORD, OFFICE)
    assert accounts.refused_addresses(team) == {}


def test_a_window_ends_fifteen_minutes_after_its_first_attempt(team):
    fail(team, "bob", accounts.ATTEMPTS_PER_USER)
    earlier = logins.clock.now() - logins.WINDOW
    team.login_attempts.update_many({}, {"$set": {"since": earlier}})
    assert accounts.refused_addresses(team) == {}
    assert accounts.check_login(team, "bob", PASSWORD, ATTACKER)
    assert team.login_attempts.count_documents({"since": earlier}) == 0  # old windows go


@pytest.fixture
def checks(monkeypatch) -> list[str]:
    """The passwords ``check_login`` compared with a hash, in order (a spy on bcrypt)."""
    checked: list[str] = []

    def counting(password: str, hashed: str) -> bool:
        checked.append(password)
        return real(password, hashed)

    real = users.password_matches
    monkeypatch.setattr(users, "password_matches", counting)
    return checked


def at_once(db, passwords: list[str], address: str = ATTACKER) -> list[bool]:
    """``check_login`` for bob with each password, from threads released at the same moment."""
    start = Barrier(len(passwords))

    def attempt(password: str) -> bool:
        start.wait()
        return accounts.check_login(db, "bob", password, address)

    with ThreadPoolExecutor(max_workers=len(passwords)) as pool:
        return list(pool.map(attempt, passwords))


def test_guesses_sent_at_once_get_five_checks_then_even_the_right_password_is_refused(
        team, checks):
    """Finding 1: 24 wrong passwords at the same moment, then the right one."""
    assert not any(at_once(team, [f"wrong guess {n}" for n in range(24)]))
    assert len(checks) == accounts.ATTEMPTS_PER_USER
    assert team.login_attempts.find_one({"_id": logins.user_key("bob", ATTACKER)})[
        "attempts"] == 24
    assert not accounts.check_login(team, "bob", PASSWORD, ATTACKER)
    assert len(checks) == accounts.ATTEMPTS_PER_USER  # refused without a look


@pytest.mark.parametrize("wrong", [24, 11])
def test_the_right_password_in_a_burst_gets_in_only_within_the_limit(team, checks, wrong):
    """Finding 1: ``wrong`` wrong passwords and the right one sent at the same moment."""
    results = at_once(team, [f"wrong guess {n}" for n in range(wrong)] + [PASSWORD])
    assert not any(results[:-1])
    if results[-1]:  # counted among the first five: a success forgives the count
        assert PASSWORD in checks[:accounts.ATTEMPTS_PER_USER]
    else:
        assert len(checks) == accounts.ATTEMPTS_PER_USER
        assert not accounts.check_login(team, "bob", PASSWORD, ATTACKER)


def test_unlock_lets_the_refused_addresses_in_at_once(team):
    fail(team, "bob", accounts.ATTEMPTS_PER_USER)
    for number in range(accounts.ATTEMPTS_PER_ADDRESS):
        accounts.check_login(team, f"guess{number}", PASSWORD, ATTACKER)
    accounts.unlock_user(team, "Bob")
    assert accounts.refused_addresses(team) == {}
    assert accounts.check_login(team, "bob", PASSWORD, ATTACKER)
    with pytest.raises(accounts.UserError, match="no user"):
        accounts.unlock_user(team, "nobody")


def test_unlock_and_list_from_the_command_line(team, cli_env):
    fail(team, "alice", accounts.ATTEMPTS_PER_USER)
    env = {**cli_env, "SLA_DB": team.name}

    def sla(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "sla", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)

    assert sla("user", "list").stdout.splitlines() == [
        f"alice\tadmin (logins refused from {ATTACKER})", "bob\tviewer"]
    result = sla("user", "unlock", "alice")
    assert (result.returncode, result.stdout.strip()) == (0, "unlocked alice"), result.stderr
    assert accounts.check_login(team, "alice", PASSWORD, ATTACKER)
    result = sla("user", "unlock", "nobody")
    assert (result.returncode, result.stderr.strip()) == (2, "error: no user nobody")
