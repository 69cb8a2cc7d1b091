"""Demo data loaded through the same write path as the operator API (no raw SQL).

Times are relative to the moment of loading, so the demo always looks current.
Loading is skipped when the demo customer already exists (idempotent across restarts).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sqlmodel import Session

from marketu_app.db import writes
from marketu_app.db.inputs import CourierEventIn, CustomerIn, OrderEventIn, OrderIn, ParcelIn, Price, Recipient
from marketu_app.domain.s10 import check_digit
from marketu_app.domain.statuses import JOURNEY, OrderStatus
from marketu_app.domain.timeutil import utcnow

DEMO_CUSTOMER = "c-1001"
DEMO_LOGIN = ("+77011234567", "demo@marketu.kz", "marketu-demo")
SECOND_CUSTOMER = "c-1002"
SECOND_LOGIN = ("+77771234567", "second@marketu.kz", "marketu-demo2")

# Typical days spent in each stage before the next one (min, max).
STAGE_DAYS: dict[OrderStatus, tuple[float, float]] = {
    OrderStatus.NOT_PAID: (0.1, 1.0),
    OrderStatus.PAID: (0.3, 1.2),
    OrderStatus.PROCESSING: (0.5, 2.0),
    OrderStatus.TO_CHINA_WAREHOUSE: (2.5, 6.0),
    OrderStatus.AT_CHINA_WAREHOUSE: (1.5, 4.0),
    OrderStatus.SHIPPED_FROM_CHINA: (8.0, 14.0),
    OrderStatus.AT_ALMATY_WAREHOUSE: (0.5, 2.0),
    OrderStatus.PACKED: (0.2, 1.0),
    OrderStatus.SENT_TO_RECIPIENT: (1.0, 4.0),
}


def ems_track(serial: int) -> str:
    digits = f"{serial:08d}"
    return f"EE{digits}{check_digit(digits)}KZ"


@dataclass
class DemoOrder:
    title: str
    marketplace: str
    price: str
    currency: str
    status: OrderStatus
    days_ago: float  # when the current status was reached
    quantity: int = 1
    cancelled_after: OrderStatus | None = None  # for cancelled orders: the last real status


@dataclass
class DemoParcel:
    number: str
    method: str
    city: str | None
    orders: list[DemoOrder]
    track: str | None = None
    weight: str | None = None
    courier: list[tuple[str, float]] = field(default_factory=list)  # (code, days ago)


S = OrderStatus
DEMO_PARCELS: list[DemoParcel] = [
    DemoParcel("P-240101", "kazakhstan", "Караганда", track=ems_track(47110815), weight="2.4", orders=[
        DemoOrder("Кроссовки Li-Ning Wade 808, 42 размер", "poizon", "689.00", "CNY", S.SENT_TO_RECIPIENT, 1.5),
        DemoOrder("Пуховик женский оверсайз, бежевый, M", "taobao", "329.00", "CNY", S.SENT_TO_RECIPIENT, 1.5),
        DemoOrder("Термос из нержавеющей стали, 500 мл", "1688", "24.50", "CNY", S.SENT_TO_RECIPIENT, 1.5, 2),
    ]),
    DemoParcel("P-240102", "almaty", "Алматы", weight="1.1",
               courier=[("handed_to_courier", 3.2), ("out_for_delivery", 3.0), ("delivered", 2.9)], orders=[
        DemoOrder("Беспроводные наушники Baseus Bowie E9", "taobao", "119.00", "CNY", S.DELIVERED, 2.9),
        DemoOrder("Чехол для iPhone 15 Pro, прозрачный силикон", "pinduoduo", "9.90", "CNY", S.DELIVERED, 2.9, 2),
    ]),
    DemoParcel("P-240103", "pickup", None, weight="3.8", orders=[
        DemoOrder("Рюкзак городской Xiaomi, 20 л, серый", "taobao", "159.00", "CNY", S.AT_ALMATY_WAREHOUSE, 0.6),
        DemoOrder("Набор кухонных ножей, 6 предметов", "1688", "78.00", "CNY", S.AT_ALMATY_WAREHOUSE, 0.6),
        DemoOrder("Постельное бельё евро, сатин, графит", "1688", "145.00", "CNY", S.PACKED, 0.2),
    ]),
    DemoParcel("P-240104", "kazakhstan", "Шымкент", weight="4.2", orders=[
        DemoOrder("Кроссовки Nike Air Force 1 '07, 43 размер", "poizon", "799.00", "CNY", S.SHIPPED_FROM_CHINA, 4.0),
        DemoOrder("Детский конструктор «Город», 520 деталей", "pinduoduo", "89.00", "CNY", S.SHIPPED_FROM_CHINA, 4.0),
        DemoOrder("Светодиодная лента 10 м с пультом", "1688", "35.00", "CNY", S.SHIPPED_FROM_CHINA, 4.0),
        DemoOrder("Зимние ботинки Anta, 38 размер", "poizon", "459.00", "CNY", S.AT_CHINA_WAREHOUSE, 1.0),
    ]),
    DemoParcel("P-240105", "pickup", None, orders=[
        DemoOrder("Платье летнее миди, хлопок, S", "taobao", "129.00", "CNY", S.TO_CHINA_WAREHOUSE, 2.0),
        DemoOrder("Power bank Xiaomi 20000 мАч", "taobao", "149.00", "CNY", S.PROCESSING, 0.8),
        DemoOrder("Органайзер для косметики, акрил", "pinduoduo", "27.90", "CNY", S.PAID, 0.3),
    ]),
    DemoParcel("P-240106", "almaty", "Алматы", orders=[
        DemoOrder("Игровая мышь Logitech G102", "taobao", "99.00", "CNY", S.AT_CHINA_WAREHOUSE, 1.2),
        DemoOrder("Настольная лампа с беспроводной зарядкой", "1688", "68.00", "CNY", S.AT_CHINA_WAREHOUSE, 0.9),
        DemoOrder("Смарт-часы Amazfit Bip 5", "taobao", "399.00", "CNY", S.CANCELLED, 5.0,
                  cancelled_after=S.PROCESSING),
    ]),
    DemoParcel("P-240107", "kazakhstan", "Астана", track=ems_track(51234567), weight="0.9", orders=[
        DemoOrder("Шёлковый платок с принтом", "taobao", "59.00", "CNY", S.DELIVERED, 9.0),
        DemoOrder("Кожаный ремень мужской, 120 см", "pinduoduo", "45.00", "CNY", S.DELIVERED, 9.0),
    ]),
    DemoParcel("P-240108", "pickup", None, orders=[
        DemoOrder("Электрический чайник Deerma, 1.7 л", "pinduoduo", "79.00", "CNY", S.NOT_PAID, 0.1),
        DemoOrder("Футболка оверсайз, хлопок, L", "taobao", "49.00", "CNY", S.PAID, 0.5, 2),
    ]),
]

SECOND_PARCELS: list[DemoParcel] = [
    DemoParcel("P-250201", "almaty", "Алматы", weight="1.6", orders=[
        DemoOrder("Робот-пылесос Xiaomi E10", "taobao", "899.00", "CNY", S.SHIPPED_FROM_CHINA, 3.0),
    ]),
    DemoParcel("P-250202", "kazakhstan", "Павлодар", track=ems_track(60000017), orders=[
        DemoOrder("Куртка демисезонная мужская, XL", "poizon", "520.00", "CNY", S.SENT_TO_RECIPIENT, 2.0),
    ]),
]


def _history(order: DemoOrder, now: datetime, rng: random.Random) -> list[tuple[OrderStatus, datetime]]:
    """The journey up to the order's status, ending `days_ago` before now."""
    last = order.cancelled_after or order.status
    path = list(JOURNEY[: JOURNEY.index(last) + 1]) if last in JOURNEY else [last]
    if path[0] is S.NOT_PAID and order.status is not S.NOT_PAID and rng.random() < 0.5:
        path = path[1:]  # many orders are paid at once
    if order.cancelled_after:
        path.append(S.CANCELLED)
    at = now - timedelta(days=order.days_ago)
    events = [(path[-1], at)]
    for status in reversed(path[:-1]):
        low, high = STAGE_DAYS[status]
        at = at - timedelta(days=rng.uniform(low, high))
        events.append((status, at))
    return list(reversed(events))


def _load_customer(session: Session, customer_id: str, name: str, login: tuple[str, str, str],
                   parcels: list[DemoParcel], now: datetime, rng: random.Random) -> None:
    phone, email, password = login
    writes.upsert_customer(session, customer_id, CustomerIn(name=name, phone=phone, email=email, password=password))
    for p in parcels:
        histories = [_history(o, now, rng) for o in p.orders]
        created = min(h[0][1] for h in histories) - timedelta(hours=2)
        recipient = Recipient(name=name, phone=phone, city=p.city, address="ул. Абая, 150, кв. 12") if p.city else None
        writes.upsert_parcel(session, p.number, ParcelIn(
            customer_id=customer_id, delivery_method=p.method, recipient=recipient,
            weight_kg=Decimal(p.weight) if p.weight else None, ems_track_number=p.track, created_at=created))
        for index, (o, history) in enumerate(zip(p.orders, histories), start=1):
            number = f"{p.number.replace('P-', 'M-')}-{index}"
            first_status, first_at = history[0]
            writes.upsert_order(session, number, OrderIn(
                customer_id=customer_id, parcel_number=p.number, title=o.title, marketplace=o.marketplace,
                quantity=o.quantity, price=Price(amount=Decimal(o.price), currency=o.currency),
                status=first_status, status_at=first_at))
            for status, at in history[1:]:
                writes.add_order_event(session, number, OrderEventIn(status=status, at=at))
        for code, days_ago in p.courier:
            writes.add_courier_event(session, p.number, CourierEventIn(code=code, at=now - timedelta(days=days_ago)))


def renumbered(parcels: list[DemoParcel], prefix: str, track_offset: int) -> tuple[list[DemoParcel], dict[str, str]]:
    """The same parcels under numbers and EMS tracks of their own (`P-240101` -> `P-<prefix>-240101`, its
    orders `M-<prefix>-240101-1`...), and the old -> new name of each. Tests load such a copy per module."""
    names: dict[str, str] = {}
    copies = []
    for p in parcels:
        number = p.number.replace("P-", f"P-{prefix}-", 1)
        names[p.number] = number
        for index in range(1, len(p.orders) + 1):
            names[f"{p.number.replace('P-', 'M-')}-{index}"] = f"{number.replace('P-', 'M-')}-{index}"
        track = p.track
        if track:
            track = ems_track((int(track[2:10]) + track_offset) % 10**8)
            names[p.track] = track
        copies.append(DemoParcel(number, p.method, p.city, p.orders, track, p.weight, p.courier))
    return copies, names


def load_copy(session: Session, customer_id: str, name: str, login: tuple[str, str, str],
              parcels: list[DemoParcel], now: datetime | None = None) -> None:
    """One customer with these (renumbered) parcels, as the demo loads its own."""
    _load_customer(session, customer_id, name, login, parcels, now or utcnow(), random.Random(240101))


def load_demo(session: Session, now: datetime | None = None) -> bool:
    """Loads both demo customers unless present. Returns whether anything was loaded."""
    if writes.customer_by_external_id(session, DEMO_CUSTOMER) is not None:
        return False
    now = now or utcnow()
    rng = random.Random(240101)
    _load_customer(session, DEMO_CUSTOMER, "Айгерим Сапарова", DEMO_LOGIN, DEMO_PARCELS, now, rng)
    _load_customer(session, SECOND_CUSTOMER, "Данияр Ахметов", SECOND_LOGIN, SECOND_PARCELS, now, rng)
    return True
