"""The parcel's journey: warehouse statuses, courier and EMS events in one list, newest first."""

from __future__ import annotations

import reflex as rx


def text_with_links(parts) -> rx.Component:
    """A text whose phone numbers are tel: links (parts come from views.text_parts)."""
    return rx.foreach(parts, lambda part: rx.cond(
        part.href != "",
        rx.el.a(part.text, href=part.href, class_name="tel-link"),
        rx.el.span(part.text),
    ))


def _item(item) -> rx.Component:
    return rx.el.li(
        rx.hstack(
            rx.center(
                rx.match(item.source,
                         ("ems", rx.icon("truck", size=14, aria_hidden="true")),
                         ("courier", rx.icon("bike", size=14, aria_hidden="true")),
                         rx.icon("warehouse", size=14, aria_hidden="true")),
                width="28px", height="28px", border_radius="50%", flex_shrink="0",
                background=rx.match(item.source, ("ems", rx.color("blue", 4)), ("courier", rx.color("grass", 4)),
                                    rx.color("accent", 4)),
            ),
            rx.vstack(
                rx.text(item.title, size="2", weight="medium"),
                rx.cond(item.detail != "", rx.text(text_with_links(item.detail_parts), size="1",
                                                   color=rx.color("gray", 11))),
                rx.el.time(item.when, date_time=item.at, font_size="var(--font-size-1)",
                           color=rx.color("gray", 11)),
                spacing="0", min_width="0",
            ),
            spacing="3", align="start",
        ),
        class_name=rx.cond(item.source == "ems", "timeline-item ems", "timeline-item"),
        list_style="none",
        padding_bottom="0.75em",
    )


def timeline(detail, t, state) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading(t["timeline"], as_="h2", size="5"),
            rx.spacer(),
            rx.cond(
                detail.track_number != "",
                rx.button(rx.icon("refresh-cw", size=16, aria_hidden="true",
                                  class_name=rx.cond(state.refreshing, "spin", "")),
                          rx.cond(state.refreshing, t["checking"], t["refresh"]),
                          on_click=state.refresh_tracking, variant="soft", size="2", min_height="44px",
                          disabled=state.refreshing, aria_busy=rx.cond(state.refreshing, "true", "false"),
                          class_name="refresh-button"),
            ),
            width="100%", align="center",
        ),
        rx.cond(state.ems_checked != "",
                rx.text(t["checked_ago"] + " " + state.ems_checked, size="1", color=rx.color("gray", 11),
                        class_name="ems-checked")),
        rx.cond(state.refresh_message != "", rx.text(state.refresh_message, size="1", role="status")),
        rx.cond(state.ems_unreachable,
                rx.callout(t["ems_unreachable"], icon="cloud-off", color_scheme="gray", size="1", width="100%")),
        rx.el.ol(rx.foreach(detail.timeline, _item), padding="0", margin="0", width="100%", class_name="timeline"),
        spacing="2",
        width="100%",
        min_width="0",
    )
