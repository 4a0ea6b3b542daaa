"""People and their keys, as the pages, the CLI and the API use them: users with roles,
passwords and revocable sessions, the login throttle, and personal API tokens.

The records and their checks are kept by ``sla.storage.users`` and ``sla.storage.tokens``;
this module is the one way in for the layers above, and the home of the login policy.
"""

from __future__ import annotations

from pymongo.database import Database

from sla.storage import logins, tokens, users
from sla.storage.tokens import MAX_LABEL, TokenError
from sla.storage.users import LOGIN_REFUSED, ROLES, UserError

__all__ = ["LOGIN_REFUSED", "MAX_LABEL", "ROLES", "TokenError", "UserError"]

# Login attempts allowed per window (sla.storage.logins.WINDOW, 15 minutes): for one user name
# from one client address, and from one client address whatever the names (an office behind
# one address shares that count, so it is kept well above what typing mistakes reach).
ATTEMPTS_PER_USER = 5
ATTEMPTS_PER_ADDRESS = 30


# ---------------------------------------------------------------- users

def has_users(db: Database) -> bool:
    """Whether any user exists (the first-admin form shows only while none does)."""
    return users.has_users(db)


def offers_first_admin(db: Database) -> bool:
    """Whether the pages may offer to create the first admin: only on a store that never had
    a user (one whose users were all removed, or restored away, asks for the CLI instead)."""
    return not users.ever_had_users(db)


def user(db: Database, username: str) -> dict | None:
    return users.get_user(db, username)


def list_users(db: Database) -> list[dict]:
    return users.list_users(db)


def add_user(db: Database, username: str, password: str, role: str) -> str:
    """Add a user; their name as stored. UserError, in one line, when it cannot be done."""
    users.add_user(db, username, password, role)
    return users.normal_username(username)


def remove_user(db: Database, username: str) -> None:
    users.remove_user(db, username)


def set_role(db: Database, username: str, role: str) -> None:
    users.set_role(db, username, role)


def set_password(db: Database, username: str, password: str) -> None:
    users.set_password(db, username, password)


def unlock_user(db: Database, username: str) -> None:
    """Let a user name log in again from every address refused for failed logins."""
    if users.get_user(db, username) is None:
        raise UserError(f"no user {username}")
    logins.forgive_user(db, users.normal_username(username))


def refused_addresses(db: Database) -> dict[str, list[str]]:
    """The client addresses each user name is refused from now ("" for addresses refused
    whatever name they ask for)."""
    return logins.refused(db, ATTEMPTS_PER_USER, ATTEMPTS_PER_ADDRESS)


# ---------------------------------------------------------------- logging in and sessions

def login_credentials(db: Database) -> dict:
    """The users as the login form knows them (names and roles; ``check_login`` checks)."""
    return users.credentials(db)


def check_login(db: Database, username: str, password: str, address: str) -> bool:
    """Whether a login may go ahead: the attempt is counted first, atomically, for the client
    address and for the name from that address; beyond either limit it is refused without a
    look at the password, so a burst of guesses sent at once gets no more checks than guesses
    sent one by one. A name that does not exist takes as long as a wrong password.

    Failures lock out only the address that made them, never the user: nobody can keep
    someone else out or end their open sessions by failing on purpose.
    """
    name = users.normal_username(username)
    if not logins.count_attempt(db, logins.address_key(address), ATTEMPTS_PER_ADDRESS, None,
                                address):
        return False
    if not logins.count_attempt(db, logins.user_key(name, address), ATTEMPTS_PER_USER, name,
                                address):
        return False
    if not users.password_matches(password or "", users.password_of(db, name)):
        return False
    logins.forgive(db, logins.user_key(name, address))
    logins.uncount(db, logins.address_key(address))
    return True


def start_session(db: Database, username: str) -> str:
    """A new session of the user; its id, for the login cookie."""
    return users.start_session(db, username)


def end_session(db: Database, username: str, session_id: str) -> None:
    users.end_session(db, username, session_id)


def session_is_valid(record: dict | None, session_id: str | None) -> bool:
    return users.session_is_valid(record, session_id)


# ---------------------------------------------------------------- API tokens

def add_token(db: Database, username: str, label: str = "",
              created_by: str = "cli") -> tuple[str, dict]:
    """A new token for the user: the token (shown once) and its public record."""
    return tokens.add_token(db, username, label, created_by=created_by)


def list_tokens(db: Database, username: str | None = None) -> list[dict]:
    return tokens.list_tokens(db, username)


def revoke_token(db: Database, id_or_user: str, by: str = "cli") -> list[str]:
    """Revoke one token (by id) or every token of a user; the ids revoked."""
    return tokens.revoke(db, id_or_user, by=by)


def token_user(db: Database, token: str | None) -> dict:
    """The user a bearer token acts for, with its role now; TokenError when it is refused."""
    return tokens.authenticate(db, token)


def prepare_tokens(db: Database) -> None:
    """The token collection's indexes (the API makes them once per connection)."""
    tokens.ensure_indexes(db)
