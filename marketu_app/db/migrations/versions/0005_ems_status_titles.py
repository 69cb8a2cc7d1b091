"""Kazpost's status dictionary

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 00:50:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

import marketu_app.db.types

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ems_status_title',
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('title_ru', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('title_kz', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('onsite', sa.Boolean(), nullable=False),
    sa.Column('kazpost_group', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('updated_at', marketu_app.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('code')
    )


def downgrade() -> None:
    op.drop_table('ems_status_title')
