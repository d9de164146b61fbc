"""rights: notice versions and acceptances, wider consent categories, rights requests

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.core.types
from app.core.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = app.core.types.UTCDateTime(timezone=True)
# A person reads their own parts across schools (`/v1/me/requests`), like their memberships.
OWN_ROWS = "account_id = NULLIF(current_setting('app.account_id', true), '')::uuid"


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _notices() -> None:
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.add_column(sa.Column("summary", _text(2000), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("effective_on", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("reduces_rights", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "platform_notice",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", _text(32), nullable=False),
        sa.Column("title", _text(200), nullable=False),
        sa.Column("summary", _text(2000), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("reduces_rights", sa.Boolean(), nullable=False),
        sa.Column("published_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platform_notice")),
        sa.UniqueConstraint("version", name=op.f("uq_platform_notice_version")),
    )
    op.create_table(
        "notice_acceptance",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("notice_id", sa.Uuid(), nullable=False),
        sa.Column("school_id", sa.Uuid(), nullable=True),
        sa.Column("version", _text(32), nullable=False),
        sa.Column("accepted_by", sa.Uuid(), nullable=False),
        sa.Column("accepted_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_notice_acceptance_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["accepted_by"], ["account.id"], name=op.f("fk_notice_acceptance_accepted_by_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_acceptance")),
        sa.UniqueConstraint(
            "account_id", "notice_id", name=op.f("uq_notice_acceptance_account_id_notice_id")
        ),
    )
    with op.batch_alter_table("consent_withdrawal", schema=None) as batch_op:
        batch_op.alter_column(
            "category", existing_type=_text(16), type_=_text(24), existing_nullable=False
        )
        batch_op.add_column(sa.Column("withdrawn_by", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("restored_by", sa.Uuid(), nullable=True))


def _requests() -> None:
    op.create_table(
        "rights_request",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("filed_by", sa.Uuid(), nullable=False),
        sa.Column("type", _text(16), nullable=False),
        sa.Column("details", _text(4000), nullable=True),
        sa.Column("grounds", _text(32), nullable=True),
        sa.Column("erasure", _text(16), nullable=True),
        sa.Column("account_level", sa.Boolean(), nullable=False),
        sa.Column("status", _text(24), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("provisional", sa.Boolean(), nullable=False),
        sa.Column("repeat_of", sa.Uuid(), nullable=True),
        sa.Column("decision", _text(16), nullable=True),
        sa.Column("reason", _text(2000), nullable=True),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("closed_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_rights_request_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["filed_by"], ["account.id"], name=op.f("fk_rights_request_filed_by_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rights_request")),
    )
    with op.batch_alter_table("rights_request", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rights_request_account", ["account_id", "created_at"], unique=False
        )
    op.create_table(
        "school_rights_request",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("type", _text(16), nullable=False),
        sa.Column("status", _text(24), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("provisional", sa.Boolean(), nullable=False),
        sa.Column("decision", _text(16), nullable=True),
        sa.Column("reason", _text(2000), nullable=True),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decided_at", UTC, nullable=True),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_school_rights_request_account_id_account"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["rights_request.id"],
            name=op.f("fk_school_rights_request_request_id_rights_request"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_school_rights_request_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_school_rights_request")),
    )
    with op.batch_alter_table("school_rights_request", schema=None) as batch_op:
        batch_op.create_index(
            "ix_school_rights_request_due", ["tenant_id", "status", "due_on"], unique=False
        )
        batch_op.create_index("ix_school_rights_request_request", ["request_id"], unique=False)
    op.create_table(
        "account_hold",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("kind", _text(16), nullable=False),
        sa.Column("reason", _text(500), nullable=False),
        sa.Column("placed_at", UTC, nullable=False),
        sa.Column("lifted_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_account_hold_account_id_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_hold")),
    )
    with op.batch_alter_table("account_hold", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_hold_account_id"), ["account_id"])
    enable_tenant_rls("school_rights_request", extra_using=OWN_ROWS)


def upgrade() -> None:
    _notices()
    _requests()


def downgrade() -> None:
    disable_tenant_rls("school_rights_request")
    op.drop_table("account_hold")
    op.drop_table("school_rights_request")
    op.drop_table("rights_request")
    with op.batch_alter_table("consent_withdrawal", schema=None) as batch_op:
        batch_op.drop_column("restored_by")
        batch_op.drop_column("withdrawn_by")
        batch_op.alter_column(
            "category", existing_type=_text(24), type_=_text(16), existing_nullable=False
        )
    op.drop_table("notice_acceptance")
    op.drop_table("platform_notice")
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.drop_column("reduces_rights")
        batch_op.drop_column("effective_on")
        batch_op.drop_column("summary")
