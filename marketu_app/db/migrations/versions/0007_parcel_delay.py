"""parcel delay: the range a parcel was last reported late for (once per range, once a day)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 04:10:00
"""
from alembic import op
import sqlalchemy as sa
import marketu_app.db.types


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('parcel_delay',
    sa.Column('parcel_id', sa.Integer(), nullable=False),
    sa.Column('promised', sa.Date(), nullable=False),
    sa.Column('reported_on', sa.Date(), nullable=False),
    sa.Column('at', marketu_app.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['parcel_id'], ['parcel.id'], ),
    sa.PrimaryKeyConstraint('parcel_id')
    )


def downgrade() -> None:
    op.drop_table('parcel_delay')
