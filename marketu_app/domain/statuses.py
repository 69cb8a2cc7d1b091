"""Marketu's eleven order statuses and the three delivery methods.

The Russian labels and descriptions are Marketu's own words (shared/spec/statuses.md)
and are shown exactly as written; the Kazakh and English texts are ours.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class OrderStatus(StrEnum):
    NOT_PAID = "not_paid"
    PAID = "paid"
    PROCESSING = "processing"
    TO_CHINA_WAREHOUSE = "to_china_warehouse"
    AT_CHINA_WAREHOUSE = "at_china_warehouse"
    SHIPPED_FROM_CHINA = "shipped_from_china"
    AT_ALMATY_WAREHOUSE = "at_almaty_warehouse"
    PACKED = "packed"
    SENT_TO_RECIPIENT = "sent_to_recipient"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class StatusInfo:
    code: OrderStatus
    label: dict[str, str]
    description: dict[str, str]
    color: str  # a Radix colour name for the badge

    def label_in(self, locale: str) -> str:
        return self.label.get(locale) or self.label["ru"]

    def description_in(self, locale: str) -> str:
        return self.description.get(locale) or self.description["ru"]


def _info(code, ru, ru_desc, kk, kk_desc, en, en_desc, color) -> StatusInfo:
    return StatusInfo(
        code=code,
        label={"ru": ru, "kk": kk, "en": en},
        description={"ru": ru_desc, "kk": kk_desc, "en": en_desc},
        color=color,
    )


CATALOGUE: dict[OrderStatus, StatusInfo] = {
    s.code: s
    for s in (
        _info(OrderStatus.NOT_PAID,
              "Не оплачен", "Заказ ещё не оплачен покупателем",
              "Төленбеген", "Тапсырысты сатып алушы әлі төлемеген",
              "Not paid", "The customer has not paid for the order yet",
              "gray"),
        _info(OrderStatus.PAID,
              "Оплачен", "Заказ оплачен покупателем и находится в очереди на обработку/выкуп",
              "Төленген", "Тапсырыс төленді және өңдеу/сатып алу кезегінде тұр",
              "Paid", "The order is paid and queued for processing/purchase",
              "blue"),
        _info(OrderStatus.PROCESSING,
              "В обработке", "Заказ в процессе обработки/выкупа у продавца",
              "Өңделуде", "Тапсырыс сатушыдан өңделу/сатып алу үстінде",
              "Processing", "The order is being processed/bought from the seller",
              "indigo"),
        _info(OrderStatus.TO_CHINA_WAREHOUSE,
              "Доставка на склад в Китае",
              "Заказ успешно обработан/выкуплен и отправлен продавцом на склад Marketu LTD",
              "Қытайдағы қоймаға жеткізілуде",
              "Тапсырыс өңделіп/сатып алынып, сатушы оны Marketu LTD қоймасына жіберді",
              "On the way to the China warehouse",
              "The order was bought and the seller shipped it to the Marketu LTD warehouse",
              "cyan"),
        _info(OrderStatus.AT_CHINA_WAREHOUSE,
              "На складе в Китае", "Заказ успешно получен/проверен/взвешен на складе Marketu LTD",
              "Қытайдағы қоймада", "Тапсырыс Marketu LTD қоймасында қабылданды/тексерілді/өлшенді",
              "At the China warehouse", "The order was received, checked and weighed at the Marketu LTD warehouse",
              "teal"),
        _info(OrderStatus.SHIPPED_FROM_CHINA,
              "Отправлен со склада из Китая",
              "Заказ отправлен со склада Marketu LTD в отдел выдачи и пересылки в г.Алматы",
              "Қытайдағы қоймадан жіберілді",
              "Тапсырыс Marketu LTD қоймасынан Алматыдағы беру және жөнелту бөліміне жіберілді",
              "Shipped from China",
              "The order left the Marketu LTD warehouse for the pickup-and-forwarding office in Almaty",
              "violet"),
        _info(OrderStatus.AT_ALMATY_WAREHOUSE,
              "На складе в Алматы",
              "Заказ успешно получен в отдел выдачи и пересылки Marketu LTD в Алматы",
              "Алматыдағы қоймада",
              "Тапсырыс Алматыдағы Marketu LTD беру және жөнелту бөлімінде қабылданды",
              "At the Almaty warehouse",
              "The order arrived at the Marketu LTD pickup-and-forwarding office in Almaty",
              "amber"),
        _info(OrderStatus.PACKED,
              "Упакован",
              "Заказ упакован и подготовлен для дальнейшей отправки по Алматы или Казахстану",
              "Қапталды",
              "Тапсырыс қапталып, Алматы немесе Қазақстан бойынша жөнелтуге дайындалды",
              "Packed", "The order is packed and ready to be sent within Almaty or Kazakhstan",
              "orange"),
        _info(OrderStatus.SENT_TO_RECIPIENT,
              "Отправлен получателю", "Заказ успешно отправлен получателю",
              "Алушыға жіберілді", "Тапсырыс алушыға жіберілді",
              "Sent to the recipient", "The order was sent to the recipient",
              "jade"),
        _info(OrderStatus.DELIVERED,
              "Доставлен", "Заказ успешно получен получателем",
              "Жеткізілді", "Тапсырысты алушы алды",
              "Delivered", "The recipient has received the order",
              "grass"),
        _info(OrderStatus.CANCELLED,
              "Отменен", "Заказ отменён",
              "Бас тартылды", "Тапсырыс жойылды",
              "Cancelled", "The order was cancelled",
              "red"),
    )
}

# The journey: the first ten statuses in order; `cancelled` can end it anywhere.
JOURNEY: tuple[OrderStatus, ...] = tuple(s for s in OrderStatus if s is not OrderStatus.CANCELLED)
# Orders that have reached Almaty (or gone further) need no ETA.
REACHED_ALMATY: frozenset[OrderStatus] = frozenset(JOURNEY[JOURNEY.index(OrderStatus.AT_ALMATY_WAREHOUSE):])


def journey_index(status: OrderStatus | str) -> int:
    """Position in the journey (0..9); -1 for cancelled."""
    status = OrderStatus(status)
    return -1 if status is OrderStatus.CANCELLED else JOURNEY.index(status)


def status_info(status: OrderStatus | str) -> StatusInfo:
    return CATALOGUE[OrderStatus(status)]


def is_final(status: OrderStatus | str) -> bool:
    return OrderStatus(status) in (OrderStatus.DELIVERED, OrderStatus.CANCELLED)


class DeliveryMethod(StrEnum):
    PICKUP = "pickup"
    ALMATY = "almaty"
    KAZAKHSTAN = "kazakhstan"


DELIVERY_METHOD_LABELS: dict[DeliveryMethod, dict[str, str]] = {
    DeliveryMethod.PICKUP: {
        "ru": "Самовывоз из отдела выдачи в Алматы",
        "kk": "Алматыдағы беру бөлімінен өзі алып кету",
        "en": "Pickup at the Almaty office",
    },
    DeliveryMethod.ALMATY: {
        "ru": "Доставка по Алматы",
        "kk": "Алматы бойынша жеткізу",
        "en": "Delivery in Almaty",
    },
    DeliveryMethod.KAZAKHSTAN: {
        "ru": "Доставка по Казахстану",
        "kk": "Қазақстан бойынша жеткізу",
        "en": "Delivery across Kazakhstan",
    },
}


class CourierEventCode(StrEnum):
    HANDED_TO_COURIER = "handed_to_courier"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    DELIVERY_FAILED = "delivery_failed"
    RETURNED_TO_OFFICE = "returned_to_office"


COURIER_EVENT_LABELS: dict[CourierEventCode, dict[str, str]] = {
    CourierEventCode.HANDED_TO_COURIER: {"ru": "Передан курьеру", "kk": "Курьерге берілді",
                                         "en": "Handed to the courier"},
    CourierEventCode.OUT_FOR_DELIVERY: {"ru": "Курьер в пути", "kk": "Курьер жолда", "en": "Out for delivery"},
    CourierEventCode.DELIVERED: {"ru": "Доставлен курьером", "kk": "Курьер жеткізді", "en": "Delivered by the courier"},
    CourierEventCode.DELIVERY_FAILED: {"ru": "Не удалось доставить", "kk": "Жеткізу мүмкін болмады",
                                       "en": "Delivery failed"},
    CourierEventCode.RETURNED_TO_OFFICE: {"ru": "Возвращён в отдел выдачи", "kk": "Беру бөліміне қайтарылды",
                                          "en": "Returned to the office"},
}
