"""Response bodies of the operator API; its request bodies are the write path's input types.

Those live in marketu_app/db/inputs.py (the write path must not depend on the API) and are re-exported
here, so the API's modules and its OpenAPI description name them as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field, ValidationError, ValidatorFunctionWrapHandler, WrapValidator

from marketu_app.db.inputs import (
    IDENTIFIER_PATTERN,
    CourierEventIn,
    CourierEventItem,
    CustomerIn,
    Identifier,
    OrderEventIn,
    OrderEventItem,
    OrderIn,
    ParcelIn,
    Price,
    Recipient,
    Strict,
)

__all__ = [  # the inputs re-exported, then this module's own
    "IDENTIFIER_PATTERN", "CourierEventIn", "CustomerIn", "Identifier", "OrderEventIn", "OrderIn", "ParcelIn",
    "Price", "Recipient", "Strict",
    "CustomerOut", "StatusEventOut", "EtaOut", "OrderOut", "CourierEventOut", "EmsEventOut", "ParcelOut",
    "EventRecorded", "MAX_BATCH", "EventBatchIn", "ItemProblem", "BadItem", "BatchItemResult", "EventBatchOut",
]


class CustomerOut(BaseModel):
    customer_id: str
    name: str
    phone: str | None
    email: str | None
    locale: str
    created_at: datetime
    updated_at: datetime


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


class DoorOut(BaseModel):
    """Delivery to the recipient: the median date and its P10-P90 range, or the day it happened."""

    method: str  # the parcel's delivery method
    destination: str | None  # EMS: the recipient's city as a destination key ("karaganda"), else null
    expected: str  # ISO date
    earliest: str
    latest: str
    late_days: int  # days past the range promised when the parcel entered its current stage
    ready: str | None = None  # pickup: ISO date it was ready at the office
    delivered: str | None = None  # ISO date it reached the recipient


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
    door: DoorOut | None = None  # added field: delivery to the door (null: no orders, all cancelled, or returned)


class EventRecorded(BaseModel):
    recorded: bool
    order_number: str | None = None
    parcel_number: str | None = None
    current_status: str | None = None


MAX_BATCH = 1000


@dataclass
class BadItem:
    """An item of a batch that failed validation: reported in its place, the others still go ahead."""

    problems: list[ItemProblem]


def _item_or_bad(value, handler: ValidatorFunctionWrapHandler):
    try:
        return handler(value)
    except ValidationError as error:
        problems = []
        for e in error.errors(include_url=False):
            names = [part for part in e["loc"] if isinstance(part, str) and part not in ("order_event",
                                                                                       "courier_event")]
            field = names[-1] if names else ("type" if e["type"].startswith("union_tag") else None)
            problems.append(ItemProblem(field=field, message=e["msg"]))
        return BadItem(problems)


BatchEvent = Annotated[
    Annotated[OrderEventItem | CourierEventItem, Field(discriminator="type")], WrapValidator(_item_or_bad)]


class EventBatchIn(Strict):
    """Up to 1,000 order and courier events; each is checked and written on its own (see the endpoint)."""

    events: list[BatchEvent] = Field(min_length=1, max_length=MAX_BATCH)


class ItemProblem(BaseModel):
    field: str | None = Field(description="the item's field at fault; null: the item as a whole")
    message: str


class BatchItemResult(BaseModel):
    index: int = Field(description="the item's position in the request, from 0")
    result: Literal["recorded", "already_there", "rejected"]
    order_number: str | None = None
    parcel_number: str | None = None
    current_status: str | None = Field(None, description="order events: the order's status afterwards")
    problems: list[ItemProblem] = Field(default_factory=list, description="why it was rejected")


class EventBatchOut(BaseModel):
    recorded: int
    already_there: int
    rejected: int
    results: list[BatchItemResult] = Field(description="one per item, in the request's order")
