"""ems: refresh requests on ems_track

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 07:10:00
"""
from alembic import op
import sqlalchemy as sa
import marketu_app.db.types


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('ems_track', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refresh_requested_at', marketu_app.db.types.UTCDateTime(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('ems_track', schema=None) as batch_op:
        batch_op.drop_column('refresh_requested_at')
