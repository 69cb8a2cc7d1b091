"""change stream: a cursor per consumer of the change log

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 00:40:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import marketu_app.db.types


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('change_cursor',
    sa.Column('consumer', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('last_id', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', marketu_app.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('consumer')
    )


def downgrade() -> None:
    op.drop_table('change_cursor')
