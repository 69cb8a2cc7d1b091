"""What the settings page "Уведомления" shows, built from the database in the customer's language."""

from __future__ import annotations

from sqlmodel import Session, func, select

from marketu_app.db.models import Customer, PushSubscription, TelegramLink
from marketu_app.domain.notify import DEFAULT_KINDS, KINDS, format_quiet_hours
from marketu_app.i18n.format import date_time
from marketu_app.i18n.texts import register, text
from marketu_app.notify.outbox import history
from marketu_app.notify.prefs import kinds_of, prefs_of, quiet_of
from marketu_app.settings import get_settings

register({
    "nf_kind_almaty_warehouse": ("Заказ прибыл на склад в Алматы", "Тапсырыс Алматыдағы қоймаға келді",
                                 "An order arrived at the Almaty warehouse"),
    "nf_kind_parcel_sent": ("Посылка отправлена получателю", "Сәлемдеме алушыға жіберілді",
                            "A parcel was sent to the recipient"),
    "nf_kind_ems": ("EMS: в отделении, у курьера, в постамате, вручено, возврат",
                    "EMS: бөлімшеде, курьерде, постаматта, табыс етілді, қайтарылды",
                    "EMS: at the office, with the courier, in a locker, delivered, returned"),
    "nf_kind_courier": ("Курьер в Алматы: в пути, не удалось доставить, доставлено",
                        "Алматыдағы курьер: жолда, жеткізілмеді, жеткізілді",
                        "Almaty courier: on the way, failed, delivered"),
    "nf_kind_delay": ("Посылка задерживается", "Сәлемдеме кешігуде", "A parcel is delayed"),
    "nf_kind_cancelled": ("Заказ отменён", "Тапсырыс жойылды", "An order was cancelled"),
    "nf_kind_other_status": ("Все остальные статусы", "Барлық басқа мәртебелер", "Every other status"),
    "nf_state_linked": ("подключено", "қосылған", "on"),
    "nf_state_off": ("выключено", "өшірулі", "off"),
    "nf_state_not_linked": ("не привязан", "байланыстырылмаған", "not linked"),
    "nf_state_unavailable": ("недоступно", "қолжетімсіз", "not available"),
    "nf_state_failing": ("ошибка доставки", "жеткізу қатесі", "failing"),
    "nf_state_no_address": ("нет адреса", "мекенжай жоқ", "no address"),
    "nf_result_sent": ("доставлено", "жеткізілді", "sent"),
    "nf_result_queued": ("в очереди", "кезекте", "queued"),
    "nf_result_sending": ("отправляется", "жіберілуде", "sending"),
    "nf_result_claimed": ("отправляется", "жіберілуде", "sending"),
    "nf_result_unknown": ("возможно, доставлено", "мүмкін, жеткізілді", "possibly sent"),
    "nf_result_failed": ("ошибка", "қате", "failed"),
    "nf_result_dropped": ("не доставлено", "жеткізілмеді", "not delivered"),
    "nf_channel_email": ("Email", "Email", "Email"),
    "nf_channel_telegram": ("Telegram", "Telegram", "Telegram"),
    "nf_channel_push": ("Push", "Push", "Push"),
})


def settings_view(session: Session, customer: Customer, locale: str) -> dict:
    settings = get_settings()
    prefs = prefs_of(session, customer.id)
    kinds = kinds_of(prefs)
    on = DEFAULT_KINDS if kinds is None else kinds
    link = session.get(TelegramLink, customer.id)
    devices = session.exec(select(func.count()).select_from(PushSubscription)
                           .where(PushSubscription.customer_id == customer.id)).one()

    if not settings.email_enabled:
        email = "unavailable"
    elif not customer.email:
        email = "no_address"
    elif prefs.email_failing:
        email = "failing"
    else:
        email = "linked" if prefs.email_on else "off"
    telegram = "unavailable" if not settings.telegram_enabled else ("linked" if link else "not_linked")
    push = "unavailable" if not settings.push_enabled else (
        "linked" if devices and prefs.push_on else "not_linked")
    return {
        "email_state": email,
        "email_label": text(f"nf_state_{email}", locale),
        "email_address": customer.email or "",
        "email_failing": prefs.email_failing or "",
        "telegram_state": telegram,
        "telegram_label": text(f"nf_state_{telegram}", locale),
        "push_state": push,
        "push_label": text(f"nf_state_{push}", locale),
        "push_devices": int(devices),
        "kinds": [{"key": k, "label": text(f"nf_kind_{k}", locale), "on": k in on} for k in KINDS],
        "quiet_hours": format_quiet_hours(quiet_of(prefs)),
        "history": [{
            "id": str(m.id),
            "when": date_time(m.created_at, locale),
            "channel": text(f"nf_channel_{m.channel}", locale),
            "title": m.title,
            "result": text(f"nf_result_{m.state}", locale),
            "ok": m.state == "sent",
        } for m in history(session, customer.id)],
    }
