"""live tabs: only a hash of the tab's client token is stored

The old rows (raw client tokens) are dropped: open tabs register again at their next page load.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 04:00:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import marketu_app.db.types


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def _create(key: str) -> None:
    op.create_table('live_tab',
    sa.Column(key, sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('page', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('seen_at', marketu_app.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.PrimaryKeyConstraint(key)
    )
    with op.batch_alter_table('live_tab', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_live_tab_customer_id'), ['customer_id'], unique=False)


def _drop() -> None:
    with op.batch_alter_table('live_tab', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_live_tab_customer_id'))
    op.drop_table('live_tab')


def upgrade() -> None:
    _drop()
    _create('tab_hash')


def downgrade() -> None:
    _drop()
    _create('client_token')
