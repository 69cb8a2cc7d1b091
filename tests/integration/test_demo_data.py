from sqlmodel import Session, select

from marketu_app.db.models import Customer, Order
from marketu_app.demo.seed import load_demo


def test_demo_data_loads_on_both_databases(any_engine):
    with Session(any_engine) as session:
        assert load_demo(session) is True
        session.commit()
        assert load_demo(session) is False  # idempotent
        assert len(session.exec(select(Customer)).all()) == 2
        statuses = set(session.exec(select(Order.status)).all())
        assert len(statuses) == 11
