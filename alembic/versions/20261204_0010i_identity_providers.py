"""identity providers: linked external identities, OIDC sign-in attempts, one try budget (#16)

A school's tenant file may name an OpenID Connect provider (`tenant.oidc`). An external
identity (school, issuer, subject) is linked to one account; a sign-in attempt keeps only
hashes of its state and nonce. Wrong codes and wrong passwords share one table of failed
tries (`signin_failure`, was `passwordfailure`). Session locations need the person's
platform consent (`platform_consent`). On PostgreSQL the application role sees an identity
only by its lookup hash or as its owner's, and an attempt only by the hash of its state or
of its pending link.

Revision ID: 0010i
Revises: 0008r
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.core.types

revision: str = "0010i"
down_revision: str | Sequence[str] | None = "0010h"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _setting(name: str) -> str:
    return f"NULLIF(current_setting('app.{name}', true), '')"


POLICIES = {
    "external_identity": (
        f"lookup_hash = {_setting('identity_lookup')} "
        f"OR account_id = {_setting('account_id')}::uuid"
    ),
    "oidc_attempt": (
        f"state_hash = {_setting('oidc_lookup')} OR link_hash = {_setting('oidc_lookup')}"
    ),
}


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _at(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, app.core.types.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("passwordfailure", schema=None) as batch_op:
        batch_op.drop_index("ix_passwordfailure_phone_at")
    op.rename_table("passwordfailure", "signin_failure")
    with op.batch_alter_table("signin_failure", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("via", _text(16), nullable=False, server_default="password")
        )
        batch_op.create_index("ix_signin_failure_phone_at", ["phone_hash", "at"], unique=False)
    with op.batch_alter_table("tenant", schema=None) as batch_op:
        batch_op.add_column(sa.Column("oidc", sa.JSON(), nullable=True))

    op.create_table(
        "external_identity",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("school_id", sa.Uuid(), nullable=False),
        sa.Column("issuer", _text(255), nullable=False),
        sa.Column("subject", _text(255), nullable=False),
        sa.Column("lookup_hash", _text(64), nullable=False),
        sa.Column("linked_by", _text(16), nullable=False),
        sa.Column("created_account", sa.Boolean(), nullable=False),
        _at("linked_at"),
        _at("last_used_at"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_external_identity_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["tenant.id"], name=op.f("fk_external_identity_school_id_tenant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_identity")),
        sa.UniqueConstraint("lookup_hash", name=op.f("uq_external_identity_lookup_hash")),
    )
    with op.batch_alter_table("external_identity", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_external_identity_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "oidc_attempt",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("school_id", sa.Uuid(), nullable=False),
        sa.Column("state_hash", _text(64), nullable=False),
        sa.Column("nonce_hash", _text(64), nullable=False),
        _at("created_at"),
        _at("expires_at"),
        _at("used_at", nullable=True),
        sa.Column("issuer", _text(255), nullable=True),
        sa.Column("subject", _text(255), nullable=True),
        sa.Column("link_hash", _text(64), nullable=True),
        _at("link_expires_at", nullable=True),
        _at("linked_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["school_id"], ["tenant.id"], name=op.f("fk_oidc_attempt_school_id_tenant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oidc_attempt")),
        sa.UniqueConstraint("state_hash", name=op.f("uq_oidc_attempt_state_hash")),
        sa.UniqueConstraint("link_hash", name=op.f("uq_oidc_attempt_link_hash")),
    )

    op.create_table(
        "platform_consent",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("category", _text(24), nullable=False),
        _at("granted_at"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_platform_consent_account_id_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platform_consent")),
        sa.UniqueConstraint(
            "account_id", "category", name=op.f("uq_platform_consent_account_id_category")
        ),
    )

    if op.get_bind().dialect.name == "postgresql":
        for table, predicate in POLICIES.items():
            op.execute(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
            op.execute(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY')
            op.execute(
                f'CREATE POLICY login_lookup ON "{table}" '
                f"USING ({predicate}) WITH CHECK ({predicate})"
            )


def downgrade() -> None:
    op.drop_table("platform_consent")
    op.drop_table("oidc_attempt")
    with op.batch_alter_table("external_identity", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_external_identity_account_id"))
    op.drop_table("external_identity")
    with op.batch_alter_table("tenant", schema=None) as batch_op:
        batch_op.drop_column("oidc")
    with op.batch_alter_table("signin_failure", schema=None) as batch_op:
        batch_op.drop_index("ix_signin_failure_phone_at")
        batch_op.drop_column("via")
    op.rename_table("signin_failure", "passwordfailure")
    with op.batch_alter_table("passwordfailure", schema=None) as batch_op:
        batch_op.create_index("ix_passwordfailure_phone_at", ["phone_hash", "at"], unique=False)
