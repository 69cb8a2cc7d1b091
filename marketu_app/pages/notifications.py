"""The settings page "Уведомления": each channel's state with link/unlink, kinds, quiet hours, history."""

from __future__ import annotations

import reflex as rx

from marketu_app.components.layout import shell
from marketu_app.components.ui import heading
from marketu_app.state.notifications import NotificationsState as S

t = S.t


# Compiled into the page as a function: a script sent from the server would need eval, which the
# Content-Security-Policy refuses (marketu_app/web/headers.py).
SUBSCRIBE_PUSH = rx.call_function(
    rx.Var("(() => window.marketuPush ? window.marketuPush.subscribe() : 'unsupported')"),
    callback=S.push_done)


def _button(label, on_click, class_name: str) -> rx.Component:
    return rx.el.button(label, type="button", on_click=on_click, class_name=f"nf-button {class_name}")


def _channel(name: str, state_var, label_var, detail, action: rx.Component) -> rx.Component:
    return rx.el.li(
        rx.el.div(rx.el.strong(name), rx.el.span(label_var, class_name="nf-state",
                                                 custom_attrs={"data-state": state_var}), class_name="nf-row"),
        detail,
        action,
        class_name=f"nf-channel nf-channel-{name.lower().replace(' ', '-')}",
    )


def channels() -> rx.Component:
    v = S.view
    email_action = rx.cond(
        (v["email_state"] == "linked") | (v["email_state"] == "off") | (v["email_state"] == "failing"),
        _button(rx.cond(v["email_state"] == "linked", t["nf_turn_off"], t["nf_turn_on"]),
                S.toggle_channel("email"), "nf-email-toggle"),
        rx.fragment())
    telegram_action = rx.match(
        v["telegram_state"],
        ("linked", _button(t["nf_unlink"], S.unlink_telegram, "nf-telegram-unlink")),
        ("not_linked", rx.el.div(_button(t["nf_link"], S.link_telegram, "nf-telegram-link"),
                                 rx.el.p(t["nf_telegram_hint"], class_name="nf-hint"))),
        rx.fragment())
    push_action = rx.cond(
        v["push_state"] == "unavailable", rx.fragment(),
        rx.el.div(
            _button(t["nf_push_this"], SUBSCRIBE_PUSH, "nf-push-subscribe"),
            rx.cond(v["push_state"] == "linked", _button(t["nf_turn_off"], S.toggle_channel("push"), "nf-push-off")),
            rx.cond(S.push_problem != "", rx.el.p(S.push_problem, role="alert", class_name="nf-error")),
            # Filled by assets/notify.js from its data-* texts while the socket may be down (offline).
            rx.el.p(id="nf-push-note", role="status", class_name="nf-hint nf-push-note",
                    custom_attrs={"aria-live": "polite", "data-offline": t["nf_push_offline"]}),
            rx.el.p(t["nf_ios"], class_name="nf-hint"),
        ))
    return rx.el.section(
        heading(t["nf_channels"], 2, "4"),
        rx.el.ul(
            _channel("Email", v["email_state"], v["email_label"],
                     rx.el.p(v["email_address"], rx.cond(v["email_failing"] != "",
                                                        rx.el.span(" · ", v["email_failing"], class_name="nf-error")),
                             class_name="nf-detail"), email_action),
            _channel("Telegram", v["telegram_state"], v["telegram_label"], rx.fragment(), telegram_action),
            _channel("Push", v["push_state"], v["push_label"], rx.fragment(), push_action),
            class_name="nf-list",
        ),
        class_name="nf-section",
    )


def kinds() -> rx.Component:
    return rx.el.section(
        heading(t["nf_kinds"], 2, "4"),
        rx.el.ul(rx.foreach(S.view["kinds"].to(list[dict[str, str]]), lambda k: rx.el.li(rx.el.label(
            rx.el.input(type="checkbox", checked=k["on"].to(bool), on_change=S.toggle_kind(k["key"]),
                        class_name="nf-kind", custom_attrs={"data-kind": k["key"]}),
            rx.el.span(k["label"]), class_name="nf-check"))), class_name="nf-list"),
        class_name="nf-section",
    )


def quiet() -> rx.Component:
    return rx.el.section(
        heading(t["nf_quiet"], 2, "4"),
        rx.el.form(
            rx.el.input(name="quiet_hours", id="quiet_hours", default_value=S.view["quiet_hours"].to(str),
                        key=S.view["quiet_hours"].to(str), aria_label=t["nf_quiet"], class_name="nf-input",
                        max_length=20),
            rx.el.button(t["nf_save"], type="submit", class_name="nf-button nf-quiet-save"),
            on_submit=S.save_quiet, class_name="nf-row",
        ),
        rx.el.p(t["nf_quiet_hint"], class_name="nf-hint"),
        rx.cond(S.quiet_error != "", rx.el.p(S.quiet_error, role="alert", class_name="nf-error nf-quiet-error")),
        rx.cond(S.saved, rx.el.p(t["nf_saved"], role="status", class_name="nf-hint nf-quiet-saved")),
        class_name="nf-section",
    )


def recent() -> rx.Component:
    rows = S.view["history"].to(list[dict[str, str]])
    return rx.el.section(
        heading(t["nf_history"], 2, "4"),
        rx.cond(rows.length() > 0,
                rx.el.ul(rx.foreach(rows, lambda m: rx.el.li(
                    rx.el.div(rx.el.span(m["when"]), rx.el.span(m["channel"]), rx.el.span(m["result"]),
                              class_name="nf-row nf-meta"),
                    rx.el.p(m["title"]), class_name="nf-message")), class_name="nf-list nf-history"),
                rx.el.p(t["nf_history_empty"], class_name="nf-hint")),
        class_name="nf-section",
    )


def notifications_page() -> rx.Component:
    return shell(
        rx.el.div(heading(t["nf_title"], 1, "6"), channels(), kinds(), quiet(), recent(), class_name="nf-page"),
    )
