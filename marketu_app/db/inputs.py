"""What the write path (marketu_app/db/writes.py) accepts: validated input types.

The operator API takes these as its request bodies (marketu_app/api/schemas.py re-exports them), the
demo data and the tests build them directly; they belong to the write path, not to the API.
Unknown fields are rejected.
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Annotated, Literal

import phonenumbers
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, EmailStr, Field, field_validator

from marketu_app.domain.phones import normalize_phone
from marketu_app.domain.s10 import normalize as normalize_s10
from marketu_app.domain.s10 import s10_error
from marketu_app.domain.statuses import CourierEventCode, DeliveryMethod, OrderStatus

IDENTIFIER_PATTERN = r"^[A-Za-z0-9-]{1,40}$"
Identifier = Annotated[str, Field(pattern=IDENTIFIER_PATTERN)]


def _phone(value: str) -> str:
    normalized = normalize_phone(value)
    if normalized is None:
        raise ValueError("not a phone number; use E.164 such as +77011234567")
    # The shape is not enough: +7 799 ... has the right length but no Kazakh (or Russian) operator.
    if not phonenumbers.is_valid_number(phonenumbers.parse(normalized)):
        raise ValueError("not a valid phone number for its country (no such operator or length)")
    return normalized  # stored as before: E.164 from normalize_phone


def _track(value: str) -> str:
    value = normalize_s10(value)
    error = s10_error(value)
    if error:
        raise ValueError(f"not a valid UPU S10 track number: {error}")
    return value


# The accepted time window of every timestamp the back office sends (documented in the README): from
# 2000-01-01 UTC; the write path also refuses more than 24 hours ahead. Outside, a 422 names the field
# (year 1 at +14:00 or year 9999 at -12:00 cannot even be converted to UTC).
EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(2100, 1, 1, tzinfo=timezone.utc)
OUTSIDE_WINDOW = "outside the accepted time window (2000-01-01 to 24 hours from now)"


def _in_window(value: datetime) -> datetime:
    try:
        utc = value.astimezone(timezone.utc)
    except (OverflowError, ValueError):
        raise ValueError(OUTSIDE_WINDOW) from None
    if not EARLIEST <= utc < LATEST:
        raise ValueError(OUTSIDE_WINDOW)
    return value


Phone = Annotated[str, AfterValidator(_phone)]
EventTime = Annotated[AwareDatetime, AfterValidator(_in_window)]
TrackNumber = Annotated[str, AfterValidator(_track)]
Note = Annotated[str, Field(max_length=500)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value):
        # PostgreSQL text cannot hold NUL; refuse it here as bad input rather than fail on write.
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value


class CustomerIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    phone: Phone | None = None
    email: EmailStr | None = None
    locale: Literal["ru", "kk", "en"] = "ru"
    password: str | None = Field(default=None, min_length=10, max_length=200)

    @field_validator("email")
    @classmethod
    def _lower_email(cls, value: str | None) -> str | None:
        return value.lower() if value else value


class Recipient(Strict):
    name: str | None = Field(default=None, max_length=200)
    phone: Phone | None = None
    city: str | None = Field(default=None, max_length=100)
    address: str | None = Field(default=None, max_length=300)


class ParcelIn(Strict):
    customer_id: Identifier
    delivery_method: DeliveryMethod
    recipient: Recipient | None = None
    weight_kg: Decimal | None = Field(default=None, ge=0, le=10_000, max_digits=10, decimal_places=3)
    ems_track_number: TrackNumber | None = None
    created_at: EventTime | None = None


class Price(Strict):
    amount: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    currency: str = Field(pattern=r"^[A-Z]{3}$")


class OrderIn(Strict):
    customer_id: Identifier
    parcel_number: Identifier | None = None
    title: str = Field(min_length=1, max_length=300)
    marketplace: str = Field(min_length=1, max_length=50)
    quantity: int = Field(default=1, ge=1, le=100_000)
    price: Price | None = None
    image_url: str | None = Field(default=None, max_length=1000, pattern=r"^https?://")
    product_url: str | None = Field(default=None, max_length=1000, pattern=r"^https?://")
    status: OrderStatus | None = None
    status_at: EventTime | None = None


class OrderEventIn(Strict):
    status: OrderStatus
    at: EventTime
    note: Note | None = None


class CourierEventIn(Strict):
    code: CourierEventCode
    at: EventTime
    note: Note | None = None


class OrderEventItem(OrderEventIn):
    """An order event in a batch: the single endpoint's body plus its order number."""

    type: Literal["order_event"]
    order_number: Identifier


class CourierEventItem(CourierEventIn):
    """A courier event in a batch: the single endpoint's body plus its parcel number."""

    type: Literal["courier_event"]
    parcel_number: Identifier
