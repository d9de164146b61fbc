"""Row-level security on `account` (PostgreSQL): the app role sees only the people it names.

As the service's own role, with no setting, no account is visible and none can be written;
naming one number's keyed hash shows that number's account only, a batch of hashes shows
those accounts, and naming a school shows its members (and staff on its support grants),
never another school's (SEC-2, SEC-7, TEN-1).
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import ProgrammingError

from app.accounts.service import phone_hash
from app.core.migrate import sync_url
from app.core.phones import normalize
from tests.conftest import postgres_only
from tests.factories import add_member

NORTH_PHONE = "+8613700000031"
SOUTH_PHONE = "+8613700000032"


def _set(conn, name: str, value: str) -> None:
    conn.execute(text("SELECT set_config(:n, :v, true)"), {"n": f"app.{name}", "v": value})


def _phones(conn) -> set[str]:
    return set(conn.execute(text("SELECT phone_hash FROM account")).scalars())


def _insert(conn, hashed: str) -> None:
    conn.execute(
        text(
            "INSERT INTO account (id, phone_hash, phone_enc, phone_masked, registered_via,"
            " is_staff, status, code_required, language, created_at)"
            " VALUES (:id, :h, 'x', '+86***', 'school', false, 'active', false, 'zh', now())"
        ),
        {"id": str(uuid.uuid4()), "h": hashed},
    )


@postgres_only
async def test_app_role_sees_accounts_only_by_number_person_or_school(database, owner, schools):
    north, south = schools["demo-north"], schools["demo-south"]
    north_account, _ = await add_member(owner, north, NORTH_PHONE, "student", "Nora")
    south_account, _ = await add_member(owner, south, SOUTH_PHONE, "student", "Sam")
    north_hash = phone_hash(owner.keys, normalize(NORTH_PHONE))
    south_hash = phone_hash(owner.keys, normalize(SOUTH_PHONE))

    engine = create_engine(sync_url(database.app_url))
    try:
        with engine.begin() as conn:
            assert _phones(conn) == set(), "accounts visible with nothing named"
        with engine.begin() as conn:
            _set(conn, "phone_hash", north_hash)
            assert _phones(conn) == {north_hash}
        with engine.begin() as conn:
            _set(conn, "phone_hashes", f"{north_hash},{south_hash}")
            assert _phones(conn) == {north_hash, south_hash}
        with engine.begin() as conn:
            _set(conn, "account_id", str(south_account.id))
            assert _phones(conn) == {south_hash}
        with engine.begin() as conn:
            _set(conn, "tenant_id", str(north.id))
            seen = _phones(conn)
            assert north_hash in seen and south_hash not in seen
        with engine.begin() as conn:
            _set(conn, "tenant_id", str(south.id))
            seen = _phones(conn)
            assert south_hash in seen and north_hash not in seen
            assert (
                conn.execute(
                    text("UPDATE account SET display_name = 'taken' WHERE id = :id"),
                    {"id": str(north_account.id)},
                ).rowcount
                == 0
            ), "another school's member was writable"
        with engine.begin() as conn:
            _set(conn, "phone_hash", "a" * 64)
            _insert(conn, "a" * 64)  # proxy registration of the number the transaction named
        with engine.begin() as conn, pytest.raises(ProgrammingError, match="row-level security"):
            _set(conn, "phone_hash", "b" * 64)
            _insert(conn, "c" * 64)
    finally:
        engine.dispose()
