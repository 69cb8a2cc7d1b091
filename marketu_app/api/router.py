"""Operator API v1: routes. The contract is shared/spec/operator-api.md."""

from __future__ import annotations

import hmac
import threading
from typing import Annotated

from fastapi import APIRouter, FastAPI, Path, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBearer
from sqlalchemy.exc import DataError, IntegrityError

from marketu_app.api.readback import order_out, parcel_out
from marketu_app.api.schemas import (
    IDENTIFIER_PATTERN,
    BadItem,
    BatchItemResult,
    CourierEventIn,
    CustomerIn,
    CustomerOut,
    EventBatchIn,
    EventBatchOut,
    EventRecorded,
    ItemProblem,
    OrderEventIn,
    OrderIn,
    OrderOut,
    ParcelIn,
    ParcelOut,
)
from marketu_app.db import writes
from marketu_app.db.engine import session_scope
from marketu_app.settings import get_settings

API_PREFIX = "/api/v1"
OPEN_PATHS = {f"{API_PREFIX}/openapi.json", f"{API_PREFIX}/docs"}

CustomerId = Annotated[str, Path(pattern=IDENTIFIER_PATTERN, description="The back office's customer id")]
ParcelNumber = Annotated[str, Path(pattern=IDENTIFIER_PATTERN, description="The back office's parcel number")]
OrderNumber = Annotated[str, Path(pattern=IDENTIFIER_PATTERN, description="The back office's order number")]

# Documents the bearer scheme in OpenAPI; the check itself is the middleware below.
bearer = HTTPBearer(auto_error=False, description="MARKETU_OPERATOR_TOKEN")
router = APIRouter(prefix=API_PREFIX)


def _problem(status_code: int, field: str | None, message: str) -> JSONResponse:
    loc = ["body", field] if field else []
    return JSONResponse({"detail": [{"loc": loc, "msg": message, "type": "value_error"}]},
                        status_code=status_code)


def _status(response: Response, created: bool) -> None:
    response.status_code = 201 if created else 200


WRITE_ATTEMPTS = 5
# Write transactions at once per process, below the connection pool's size: a burst of requests waits
# here (argon2 runs inside a customer's write) instead of timing out on the pool.
_WRITERS = threading.BoundedSemaphore(4)


def _write(work):
    """Runs `work(session)` in one transaction. When identical requests race to create the same row,
    the losers hit its unique key: each then retries, finds the row and answers as an update (200),
    as the contract's idempotent writes say."""
    for attempt in range(WRITE_ATTEMPTS):
        try:
            with _WRITERS, session_scope() as session:
                return work(session)
        except IntegrityError:
            if attempt == WRITE_ATTEMPTS - 1:
                raise


@router.put("/customers/{customer_id}", response_model=CustomerOut, status_code=200,
            responses={201: {"model": CustomerOut, "description": "Created"}})
def put_customer(body: CustomerIn, response: Response, customer_id: CustomerId):
    def work(session):
        customer, written = writes.upsert_customer(session, customer_id, body)
        _status(response, written.created)
        return CustomerOut(customer_id=customer.external_id, name=customer.name, phone=customer.phone,
                           email=customer.email, locale=customer.locale,
                           created_at=customer.created_at, updated_at=customer.updated_at)
    return _write(work)


@router.put("/parcels/{parcel_number}", response_model=ParcelOut, status_code=200,
            responses={201: {"model": ParcelOut, "description": "Created"}})
def put_parcel(body: ParcelIn, response: Response, parcel_number: ParcelNumber):
    def work(session):
        parcel, written = writes.upsert_parcel(session, parcel_number, body)
        _status(response, written.created)
        return parcel_out(session, parcel)
    return _write(work)


@router.post("/parcels/{parcel_number}/events", response_model=EventRecorded, status_code=200,
             responses={201: {"model": EventRecorded, "description": "Recorded"}, 404: {}})
def post_courier_event(body: CourierEventIn, response: Response, parcel_number: ParcelNumber):
    def work(session):
        parcel, written = writes.add_courier_event(session, parcel_number, body)
        _status(response, written.created)
        return EventRecorded(recorded=written.created, parcel_number=parcel.number)
    return _write(work)


@router.get("/parcels/{parcel_number}", response_model=ParcelOut, responses={404: {}})
def get_parcel(parcel_number: ParcelNumber):
    with session_scope() as session:
        parcel = writes.parcel_by_number(session, parcel_number)
        if parcel is None:
            raise writes.NotFound(parcel_number)
        return parcel_out(session, parcel)


@router.put("/orders/{order_number}", response_model=OrderOut, status_code=200,
            responses={201: {"model": OrderOut, "description": "Created"}})
def put_order(body: OrderIn, response: Response, order_number: OrderNumber):
    def work(session):
        order, written = writes.upsert_order(session, order_number, body)
        _status(response, written.created)
        return order_out(session, order)
    return _write(work)


@router.post("/orders/{order_number}/events", response_model=EventRecorded, status_code=200,
             responses={201: {"model": EventRecorded, "description": "Recorded"}, 404: {}})
def post_order_event(body: OrderEventIn, response: Response, order_number: OrderNumber):
    def work(session):
        order, written = writes.add_order_event(session, order_number, body)
        _status(response, written.created)
        return EventRecorded(recorded=written.created, order_number=order.number,
                             current_status=order.status)
    return _write(work)


@router.get("/orders/{order_number}", response_model=OrderOut, responses={404: {}})
def get_order(order_number: OrderNumber):
    with session_scope() as session:
        order = writes.order_by_number(session, order_number)
        if order is None:
            raise writes.NotFound(order_number)
        return order_out(session, order)


@router.post("/events", response_model=EventBatchOut, summary="Record a batch of order and courier events")
def post_event_batch(body: EventBatchIn):
    """Up to 1,000 order events (`"type": "order_event"`, the body of `POST /orders/{order_number}/events`
    plus `order_number`) and courier events (`"type": "courier_event"`, the body of
    `POST /parcels/{parcel_number}/events` plus `parcel_number`), in one request and one transaction.

    Each item is checked and written exactly as its single endpoint would (so sending a batch again
    records nothing twice) and gets its own result, in the request's order: `recorded`, `already_there`
    (the identical event exists), or `rejected` with the field at fault and why (bad input, an unknown
    number, a time too far ahead...). A rejected item writes nothing (a savepoint each) and does not
    stop the others; the answer is 200 whatever the items' results. Only a malformed envelope (no
    `events`, more than 1,000 of them) is refused as a whole with 422.
    """
    good = [(i, item) for i, item in enumerate(body.events) if not isinstance(item, BadItem)]
    with session_scope() as session:
        outcomes = writes.record_event_items(session, [item for _, item in good])
    results = [BatchItemResult(index=i, result=writes.REJECTED, problems=item.problems,
                               **_number_of(item)) if isinstance(item, BadItem) else None
               for i, item in enumerate(body.events)]
    for (i, item), outcome in zip(good, outcomes):
        problems = [ItemProblem(field=outcome.field, message=outcome.message)] if outcome.message else []
        results[i] = BatchItemResult(index=i, result=outcome.result, current_status=outcome.current_status,
                                     problems=problems, **_number_of(item))
    counts = {kind: sum(r.result == kind for r in results)
              for kind in (writes.RECORDED, writes.ALREADY_THERE, writes.REJECTED)}
    return EventBatchOut(results=results, **counts)


def _number_of(item) -> dict:
    """The order or parcel number an item names, when it got that far."""
    return {name: getattr(item, name) for name in ("order_number", "parcel_number") if hasattr(item, name)}


def create_api() -> FastAPI:
    """The FastAPI app that Reflex mounts its own backend under (api_transformer)."""
    api = FastAPI(
        title="Marketu Tracker operator API", version="1.0.0",
        openapi_url=f"{API_PREFIX}/openapi.json", docs_url=f"{API_PREFIX}/docs", redoc_url=None,
        dependencies=[],
    )
    from fastapi import Depends

    router.dependencies = [Depends(bearer)]
    api.include_router(router)

    @api.middleware("http")
    async def require_token(request: Request, call_next):
        # Checked before the body is read, so an unauthenticated caller learns nothing.
        path = request.url.path
        if path.startswith(API_PREFIX) and path not in OPEN_PATHS:
            token = get_settings().operator_token
            if not token:
                return JSONResponse({"detail": "the operator API is disabled: MARKETU_OPERATOR_TOKEN is not set"},
                                    status_code=503)
            given = request.headers.get("authorization", "")
            scheme, _, value = given.partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), token.encode()):
                return JSONResponse({"detail": "missing or wrong bearer token"}, status_code=401,
                                    headers={"WWW-Authenticate": "Bearer"})
        return await call_next(request)

    @api.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError):
        # FastAPI's default echoes the input back; a rejected password must never be echoed.
        detail = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
                  for e in exc.errors()]
        return JSONResponse({"detail": detail}, status_code=422)

    @api.exception_handler(writes.InputProblem)
    async def input_problem(_request: Request, exc: writes.InputProblem):
        return _problem(exc.status_code, exc.field, exc.message)

    @api.exception_handler(IntegrityError)
    async def concurrent_write(_request: Request, exc: IntegrityError):
        # Two identical requests raced past the existence check; the loser may simply retry.
        return JSONResponse({"detail": "a concurrent request wrote the same data; retry"}, status_code=409)

    @api.exception_handler(DataError)
    async def data_error(_request: Request, exc: DataError):
        # The schema lets through something the database cannot store: still the caller's input.
        return JSONResponse({"detail": [{"loc": ["body"], "msg": "a value cannot be stored", "type": "value_error"}]},
                            status_code=422)

    @api.exception_handler(writes.NotFound)
    async def not_found(_request: Request, exc: writes.NotFound):
        return JSONResponse({"detail": "not found"}, status_code=404)

    return api
