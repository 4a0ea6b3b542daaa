"""Personal API tokens (``sla.storage.tokens``) on the test server, and ``./sla.sh token …``."""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
import sys

import pytest

from sla.storage import tokens, users
from tests.conftest import ROOT
from tests.test_pages import app_db, hand_app, no_exception, page  # noqa: F401 (fixtures)


@pytest.fixture
def people(db):
    """The test database with an admin (ann) and a viewer (bob)."""
    users.add_user(db, "ann", "pass-word-1234", "admin")
    users.add_user(db, "bob", "pass-word-1234", "viewer")
    return db


def test_a_token_is_shown_once_and_only_its_digest_is_kept(people):
    token, record = tokens.add_token(people, "Bob", "reporting", created_by="ann")
    assert tokens.TOKEN_PATTERN.fullmatch(token) and token.split("_")[1] == record["id"]
    assert record["username"] == "bob" and record["name"] == "reporting"
    stored = people.api_tokens.find_one({"id": record["id"]})
    assert stored["digest"] == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(stored) and token.split("_")[2] not in str(stored)
    listed = tokens.list_tokens(people)
    assert [t["id"] for t in listed] == [record["id"]] and "digest" not in listed[0]


def test_a_token_acts_with_its_users_role_at_each_use(people):
    token, record = tokens.add_token(people, "bob")
    assert tokens.authenticate(people, token) == {"username": "bob", "role": "viewer",
                                                  "token_id": record["id"]}
    users.set_role(people, "bob", "admin")
    assert tokens.authenticate(people, token)["role"] == "admin"


@pytest.mark.parametrize("sent", [None, "", "sla_", "Bearer x", "sla_0123abcd_short",
                                  "sla_0123abcd_" + "A" * 43])
def test_malformed_and_unknown_tokens_are_refused(people, sent):
    tokens.add_token(people, "bob")
    with pytest.raises(tokens.TokenError, match="missing, unknown or revoked"):
        tokens.authenticate(people, sent)


def test_a_revoked_token_and_a_removed_users_tokens_are_refused(people):
    first, record = tokens.add_token(people, "bob")
    second, _ = tokens.add_token(people, "bob")
    assert tokens.revoke(people, record["id"], by="ann") == [record["id"]]
    with pytest.raises(tokens.TokenError):
        tokens.authenticate(people, first)
    assert tokens.authenticate(people, second)["username"] == "bob"
    revoked = people.api_tokens.find_one({"id": record["id"]})
    assert "digest" not in revoked and revoked["revoked_by"] == "ann" and revoked["revoked_at"]
    users.remove_user(people, "bob")
    with pytest.raises(tokens.TokenError):
        tokens.authenticate(people, second)
    users.add_user(people, "bob", "another-pass-5678", "admin")
    with pytest.raises(tokens.TokenError):  # a new bob does not inherit the old bob's tokens
        tokens.authenticate(people, second)


def test_revoking_by_user_name_revokes_all_their_live_tokens(people):
    ids = {tokens.add_token(people, "bob")[1]["id"] for _ in range(3)}
    kept, _ = tokens.add_token(people, "ann")
    assert set(tokens.revoke(people, "BOB")) == ids
    assert tokens.authenticate(people, kept)["username"] == "ann"
    with pytest.raises(tokens.TokenError, match="no token left"):
        tokens.revoke(people, "bob")
    with pytest.raises(tokens.TokenError, match="no token nobody"):
        tokens.revoke(people, "nobody")


def test_tokens_for_unknown_users_or_with_long_names_are_refused(people):
    with pytest.raises(tokens.TokenError, match="no user carol"):
        tokens.add_token(people, "carol")
    with pytest.raises(tokens.TokenError, match="at most"):
        tokens.add_token(people, "bob", "x" * (tokens.MAX_LABEL + 1))


def test_last_use_is_recorded_at_most_once_a_minute(people):
    token, record = tokens.add_token(people, "bob")
    tokens.authenticate(people, token)
    first = people.api_tokens.find_one({"id": record["id"]})["last_used_at"]
    assert first is not None
    earlier = first - dt.timedelta(minutes=5)
    people.api_tokens.update_one({"id": record["id"]}, {"$set": {"last_used_at": earlier}})
    tokens.authenticate(people, token)
    assert people.api_tokens.find_one({"id": record["id"]})["last_used_at"] >= first
    just_now = people.api_tokens.find_one({"id": record["id"]})["last_used_at"]
    tokens.authenticate(people, token)
    assert people.api_tokens.find_one({"id": record["id"]})["last_used_at"] == just_now


# ---------------------------------------------------------------- the CLI

def sla(env: dict, *args: str, ok: bool = True, stdin: str | None = None):
    result = subprocess.run([sys.executable, "-m", "sla", *args], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120, input=stdin)
    assert (result.returncode == 0) == ok, result.stderr
    return result


def test_token_commands_add_list_and_remove(cli_env):
    sla(cli_env, "user", "add", "dana", "--role", "viewer", stdin="pass-word-1234\n")
    made = sla(cli_env, "token", "add", "dana", "--label", "Power BI")
    (token,) = made.stdout.splitlines()  # the token alone on standard output, for scripts
    token_id = token.split("_")[1]
    assert tokens.TOKEN_PATTERN.fullmatch(token)
    assert "shown this once" in made.stderr and token_id in made.stderr
    listed = sla(cli_env, "token", "list").stdout
    assert token_id in listed and "dana" in listed and "Power BI" in listed
    assert "never used" in listed and token not in listed
    other = sla(cli_env, "token", "add", "dana").stdout.strip()
    assert sla(cli_env, "token", "remove", token_id).stdout.strip() == f"revoked {token_id}"
    assert "revoked" in sla(cli_env, "token", "list", "--user", "dana").stdout
    assert sla(cli_env, "token", "remove", "dana").stdout.strip() == \
        f"revoked {other.split('_')[1]}"


@pytest.mark.parametrize("args, message", [
    (("token", "add", "nobody"), "error: no user nobody"),
    (("token", "remove", "0123abcd"), "error: there is no token 0123abcd and no user 0123abcd"),
])
def test_token_command_errors_are_one_line(cli_env, args, message):
    failed = sla(cli_env, *args, ok=False)
    assert failed.returncode == 2 and failed.stderr.strip() == message


# ---------------------------------------------------------------- the Settings page

def test_settings_makes_a_token_shown_once_and_revokes_it(hand_app):
    app = page("settings.py")
    app.run()
    no_exception(app)
    next(s for s in app.selectbox if s.label == "For user").set_value("victor")
    next(t for t in app.text_input if t.label.startswith("What it is for")).input("Excel")
    next(b for b in app.button if b.label == "Make token").click().run()
    no_exception(app)
    (shown,) = [c.value for c in app.code]
    assert tokens.authenticate(hand_app, shown)["username"] == "victor"
    table = next(d.value for d in app.dataframe if "Token id" in d.value.columns)
    assert list(table["User"]) == ["victor"] and list(table["For"]) == ["Excel"]
    app.run()  # the next interaction: the token is not shown again
    assert not app.code
    next(b for b in app.button if b.label == "Revoke…").click().run()
    assert tokens.authenticate(hand_app, shown)["username"] == "victor"  # not yet confirmed
    next(b for b in app.button if b.label == "Revoke").click().run()
    no_exception(app)
    with pytest.raises(tokens.TokenError):
        tokens.authenticate(hand_app, shown)
    assert [s.value for s in app.success] == [f"Revoked {shown.split('_')[1]}."]
