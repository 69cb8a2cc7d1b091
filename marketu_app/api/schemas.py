"""Request and response bodies of the operator API. Unknown fields are rejected."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

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
    return normalized


def _track(value: str) -> str:
    value = normalize_s10(value)
    error = s10_error(value)
    if error:
        raise ValueError(f"not a valid UPU S10 track number: {error}")
    return value


Phone = Annotated[str, AfterValidator(_phone)]
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


class CustomerOut(BaseModel):
    customer_id: str
    name: str
    phone: str | None
    email: str | None
    locale: str
    created_at: datetime
    updated_at: datetime


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
    created_at: AwareDatetime | None = None


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
    status_at: AwareDatetime | None = None


class OrderEventIn(Strict):
    status: OrderStatus
    at: AwareDatetime
    note: Note | None = None


class CourierEventIn(Strict):
    code: CourierEventCode
    at: AwareDatetime
    note: Note | None = None


class StatusEventOut(BaseModel):
    status: str
    label: str
    at: datetime
    note: str | None


class EtaOut(BaseModel):
    """Arrival at the Almaty office: the median date and its P10-P90 range, or the day it arrived."""

    expected: str  # ISO date
    earliest: str
    latest: str
    late: bool
    arrived: str | None = None  # ISO date, once the order (or the whole parcel) is in Almaty


class OrderOut(BaseModel):
    order_number: str
    customer_id: str
    parcel_number: str | None
    title: str
    marketplace: str
    quantity: int
    price: dict | None
    image_url: str | None
    product_url: str | None
    status: str
    status_label: str
    status_at: datetime
    history: list[StatusEventOut]
    eta: EtaOut | None


class CourierEventOut(BaseModel):
    code: str
    at: datetime
    note: str | None


class EmsEventOut(BaseModel):
    code: str
    group: str
    text: str
    at: datetime
    place: str


class ParcelOut(BaseModel):
    parcel_number: str
    customer_id: str
    delivery_method: str
    recipient: Recipient | None
    weight_kg: Decimal | None
    ems_track_number: str | None
    created_at: datetime
    updated_at: datetime
    orders: list[OrderOut]
    eta: EtaOut | None
    courier_events: list[CourierEventOut]
    ems_events: list[EmsEventOut]
    ems_last_checked_at: datetime | None
    ems_last_error: str | None


class EventRecorded(BaseModel):
    recorded: bool
    order_number: str | None = None
    parcel_number: str | None = None
    current_status: str | None = None
