"""SQLModel tables. Times are aware and stored as UTC (see `UTCDateTime`)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Column, Index, Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel

from marketu_app.db.types import UTCDateTime
from marketu_app.domain.timeutil import utcnow


def _time(**kw):
    nullable = kw.pop("nullable", False)
    index = kw.pop("index", False)
    return Field(sa_column=Column(UTCDateTime(), nullable=nullable, index=index), **kw)


class Customer(SQLModel, table=True):
    __tablename__ = "customer"
    __table_args__ = {"extend_existing": True}

    id: int | None = Field(default=None, primary_key=True)
    external_id: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(max_length=200)
    phone: str | None = Field(default=None, max_length=20, unique=True)
    email: str | None = Field(default=None, max_length=254, unique=True)
    locale: str = Field(default="ru", max_length=2)
    password_hash: str = Field(max_length=255)
    created_at: datetime = _time(default_factory=utcnow)
    updated_at: datetime = _time(default_factory=utcnow)


class Parcel(SQLModel, table=True):
    __tablename__ = "parcel"
    __table_args__ = (
        # The parcels page: a customer's parcels, most recent activity first.
        Index("ix_parcel_customer_activity", "customer_id", "last_activity_at"),
        {"extend_existing": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=40, unique=True, index=True)
    customer_id: int = Field(foreign_key="customer.id")
    delivery_method: str = Field(max_length=20)
    recipient_name: str | None = Field(default=None, max_length=200)
    recipient_phone: str | None = Field(default=None, max_length=20)
    recipient_city: str | None = Field(default=None, max_length=100)
    recipient_address: str | None = Field(default=None, max_length=300)
    weight_kg: Decimal | None = Field(default=None, sa_column=Column(Numeric(10, 3), nullable=True))
    ems_track_number: str | None = Field(default=None, max_length=13, index=True)
    created_at: datetime = _time(default_factory=utcnow)
    updated_at: datetime = _time(default_factory=utcnow)
    last_activity_at: datetime = _time(default_factory=utcnow)


class Order(SQLModel, table=True):
    __tablename__ = "order_item"  # "order" is an SQL keyword
    __table_args__ = (
        Index("ix_order_customer", "customer_id"),
        {"extend_existing": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=40, unique=True, index=True)
    customer_id: int = Field(foreign_key="customer.id")
    parcel_id: int | None = Field(default=None, foreign_key="parcel.id", index=True)
    title: str = Field(max_length=300)
    marketplace: str = Field(max_length=50)
    quantity: int = Field(default=1)
    price_amount: Decimal | None = Field(default=None, sa_column=Column(Numeric(12, 2), nullable=True))
    price_currency: str | None = Field(default=None, max_length=3)
    image_url: str | None = Field(default=None, max_length=1000)
    product_url: str | None = Field(default=None, max_length=1000)
    # Denormalised from the history: the status of the latest event by its time.
    status: str = Field(max_length=30)
    status_at: datetime = _time()
    created_at: datetime = _time(default_factory=utcnow)
    updated_at: datetime = _time(default_factory=utcnow)


class OrderStatusEvent(SQLModel, table=True):
    __tablename__ = "order_status_event"
    __table_args__ = (
        UniqueConstraint("order_id", "status", "at", name="uq_order_status_event"),
        Index("ix_order_status_event_order_at", "order_id", "at"),
        {"extend_existing": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="order_item.id")
    status: str = Field(max_length=30)
    at: datetime = _time()
    note: str | None = Field(default=None, max_length=500)
    recorded_at: datetime = _time(default_factory=utcnow)


class CourierEvent(SQLModel, table=True):
    __tablename__ = "courier_event"
    __table_args__ = (
        UniqueConstraint("parcel_id", "code", "at", name="uq_courier_event"),
        Index("ix_courier_event_parcel_at", "parcel_id", "at"),
        {"extend_existing": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    parcel_id: int = Field(foreign_key="parcel.id")
    code: str = Field(max_length=30)
    at: datetime = _time()
    note: str | None = Field(default=None, max_length=500)
    recorded_at: datetime = _time(default_factory=utcnow)


class EmsEvent(SQLModel, table=True):
    """One raw Kazpost event as received; normalisation (undo, groups) happens on read."""

    __tablename__ = "ems_event"
    __table_args__ = (
        UniqueConstraint("track_number", "code", "at", "place", name="uq_ems_event"),
        Index("ix_ems_event_track_at", "track_number", "at"),
        {"extend_existing": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    track_number: str = Field(max_length=13)
    code: str = Field(max_length=30)
    at: datetime = _time()
    place: str = Field(default="", max_length=300)
    text: str | None = Field(default=None, max_length=500)
    recorded_at: datetime = _time(default_factory=utcnow)


class EmsTrack(SQLModel, table=True):
    """Poll bookkeeping for one EMS track number: schedule, lease, last result."""

    __tablename__ = "ems_track"
    __table_args__ = (
        Index("ix_ems_track_due", "active", "next_poll_at"),
        {"extend_existing": True},
    )

    track_number: str = Field(primary_key=True, max_length=13)
    active: bool = Field(default=True)
    next_poll_at: datetime = _time(default_factory=utcnow)
    lease_owner: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = _time(default=None, nullable=True)
    last_checked_at: datetime | None = _time(default=None, nullable=True)
    last_changed_at: datetime | None = _time(default=None, nullable=True)
    last_error: str | None = Field(default=None, max_length=500)
    failures: int = Field(default=0)
    unchanged_polls: int = Field(default=0)
    registered: bool = Field(default=False)  # Kazpost knows the item (not "not found")
    final_status: str | None = Field(default=None, max_length=30)
    # The last "refresh now" from the UI: at most one a minute per track.
    refresh_requested_at: datetime | None = _time(default=None, nullable=True)


class EmsStatusTitle(SQLModel, table=True):
    """Kazpost's own name for a status code (its `status_mappings` dictionary), refreshed daily."""

    __tablename__ = "ems_status_title"
    __table_args__ = {"extend_existing": True}

    code: str = Field(primary_key=True, max_length=30)
    title_ru: str = Field(max_length=300)
    title_kz: str = Field(default="", max_length=300)
    onsite: bool = Field(default=True)  # False: Kazpost hides the code on its own site
    kazpost_group: str = Field(default="", max_length=100)
    updated_at: datetime = _time(default_factory=utcnow)


class CustomerSession(SQLModel, table=True):
    """A signed-in browser. Only the token's hash is stored."""

    __tablename__ = "customer_session"
    __table_args__ = {"extend_existing": True}

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    created_at: datetime = _time(default_factory=utcnow)
    expires_at: datetime = _time()
    revoked_at: datetime | None = _time(default=None, nullable=True)


class LoginAttempt(SQLModel, table=True):
    """A failed sign-in, kept for rate limiting per account and per client."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_account", "account_key", "at"),
        Index("ix_login_attempt_client", "client_key", "at"),
        {"extend_existing": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    account_key: str = Field(max_length=254)
    client_key: str = Field(max_length=100)
    at: datetime = _time(default_factory=utcnow)


class ChangeLog(SQLModel, table=True):
    """One row per change a customer should hear of; written only by `marketu_app.stream.record_change`."""

    __tablename__ = "change_log"
    __table_args__ = {"extend_existing": True}

    id: int | None = Field(default=None, primary_key=True)  # consumers read in id order (stream/cursor.py)
    customer_id: int = Field(foreign_key="customer.id")
    parcel_id: int | None = Field(default=None)
    kind: str = Field(max_length=30)
    summary: str | None = Field(default=None, max_length=500)  # JSON: what the toast says
    at: datetime = _time(default_factory=utcnow)


class LiveTab(SQLModel, table=True):
    """An open browser tab of a signed-in customer, for pushing changes to it. Only a hash of the tab's
    Reflex client token is kept (live/tabs.py); the push finds the token among the connected ones."""

    __tablename__ = "live_tab"
    __table_args__ = {"extend_existing": True}

    tab_hash: str = Field(primary_key=True, max_length=64)  # sha256 hex of the client token
    customer_id: int = Field(foreign_key="customer.id", index=True)
    page: str = Field(max_length=60)  # "parcels" or "parcel:<number>"
    seen_at: datetime = _time(default_factory=utcnow)


class Lease(SQLModel, table=True):
    """A named job that one process at a time may do (e.g. the live-update watcher)."""

    __tablename__ = "lease"
    __table_args__ = {"extend_existing": True}

    name: str = Field(primary_key=True, max_length=40)
    owner: str = Field(max_length=64)
    until: datetime = _time()


# --- Notifications (shared/spec/notifications.md) ---

class NotifyPrefs(SQLModel, table=True):
    """A customer's notification choices; no row means the defaults."""

    __tablename__ = "notify_prefs"
    __table_args__ = {"extend_existing": True}

    customer_id: int = Field(primary_key=True, foreign_key="customer.id")
    kinds: str | None = Field(default=None, max_length=500)  # JSON list of the kinds on; None: defaults
    quiet_hours: str | None = Field(default=None, max_length=20)  # "22:00-09:00", "off"; None: default
    email_on: bool = Field(default=True)
    telegram_on: bool = Field(default=True)
    push_on: bool = Field(default=True)
    email_failing: str | None = Field(default=None, max_length=300)  # the last permanent SMTP failure
    updated_at: datetime = _time(default_factory=utcnow)


class TelegramLink(SQLModel, table=True):
    """The Telegram chat a customer linked with a one-time start code."""

    __tablename__ = "telegram_link"
    __table_args__ = {"extend_existing": True}

    customer_id: int = Field(primary_key=True, foreign_key="customer.id")
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False, unique=True))
    linked_at: datetime = _time(default_factory=utcnow)


class OneTimeCode(SQLModel, table=True):
    """A single-use secret (Telegram link code, password reset): only its hash is stored."""

    __tablename__ = "one_time_code"
    __table_args__ = {"extend_existing": True}

    code_hash: str = Field(primary_key=True, max_length=64)
    purpose: str = Field(max_length=20)  # "telegram_link" or "password_reset"
    customer_id: int = Field(foreign_key="customer.id", index=True)
    expires_at: datetime = _time()
    used_at: datetime | None = _time(default=None, nullable=True)


class PushSubscription(SQLModel, table=True):
    """One browser's Web Push subscription (PushSubscription.toJSON())."""

    __tablename__ = "push_subscription"
    __table_args__ = {"extend_existing": True}

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    endpoint: str = Field(max_length=1000, unique=True)
    p256dh: str = Field(max_length=200)
    auth: str = Field(max_length=100)
    created_at: datetime = _time(default_factory=utcnow)


class NotifyPending(SQLModel, table=True):
    """A change worth a message, waiting for its customer's burst (or quiet hours) to end."""

    __tablename__ = "notify_pending"
    __table_args__ = (
        Index("ix_notify_pending_open", "customer_id", "batch_id"),
        {"extend_existing": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    change_id: int = Field(unique=True)  # a change is taken once, however often it is read
    customer_id: int = Field(foreign_key="customer.id")
    kind: str = Field(max_length=30)  # a milestone (domain.notify.KINDS)
    item: str = Field(max_length=1000)  # JSON: what the message says about it
    at: datetime = _time()  # when the change was recorded
    batch_id: int | None = Field(default=None)  # set when it went into messages (the first pending id)


class NotifyMessage(SQLModel, table=True):
    """The outbox and the history: one message to one channel (one device for Web Push)."""

    __tablename__ = "notify_message"
    __table_args__ = (
        UniqueConstraint("batch_id", "channel", "target", name="uq_notify_message"),
        Index("ix_notify_message_due", "state", "next_at"),
        Index("ix_notify_message_customer", "customer_id", "id"),
        {"extend_existing": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int
    customer_id: int = Field(foreign_key="customer.id")
    channel: str = Field(max_length=10)  # telegram, email, push
    target: str = Field(default="", max_length=40)  # the push subscription id; "" otherwise
    title: str = Field(max_length=300)
    body: str = Field(max_length=4000)
    url: str = Field(max_length=500)
    tag: str = Field(max_length=64)
    locale: str = Field(max_length=2)
    state: str = Field(default="queued", max_length=10)  # queued, sending, sent, failed, dropped
    attempts: int = Field(default=0)
    next_at: datetime = _time(default_factory=utcnow)
    claimed_by: str | None = Field(default=None, max_length=64)
    result: str | None = Field(default=None, max_length=300)
    created_at: datetime = _time(default_factory=utcnow)
    sent_at: datetime | None = _time(default=None, nullable=True)


class NotifyCursor(SQLModel, table=True):
    """Small named positions (the Telegram getUpdates offset)."""

    __tablename__ = "notify_cursor"
    __table_args__ = {"extend_existing": True}

    name: str = Field(primary_key=True, max_length=40)
    value: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))


class ChangeCursor(SQLModel, table=True):
    """How far one consumer of the change log (live pushes, notifications) has got."""

    __tablename__ = "change_cursor"
    __table_args__ = {"extend_existing": True}

    consumer: str = Field(primary_key=True, max_length=60)
    last_id: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    updated_at: datetime = _time(default_factory=utcnow)


class ParcelDelay(SQLModel, table=True):
    """The last delay recorded for a parcel (db/eta_delays.py): the end of the range it outlived,
    so that the same range is reported once, and the Almaty day it was reported (once a day at most)."""

    __tablename__ = "parcel_delay"
    __table_args__ = {"extend_existing": True}

    parcel_id: int = Field(primary_key=True, foreign_key="parcel.id")
    promised: date  # the P90 day of the range the parcel outlived
    reported_on: date  # Almaty date
    at: datetime = _time(default_factory=utcnow)

