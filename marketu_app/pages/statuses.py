"""The status reference: Marketu's table of order statuses, from the catalogue."""

from __future__ import annotations

import reflex as rx

from marketu_app.components.layout import shell
from marketu_app.state.statuses import StatusesState


def _status_row(row) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.badge(row["label"], color_scheme=row["color"], size="2", variant="soft",
                               radius="full", white_space="normal"), id=row["code"]),
        rx.table.cell(rx.text(row["description"])),
    )


def statuses_page() -> rx.Component:
    t = StatusesState.t
    return shell(
        rx.heading(t["statuses_title"], as_="h1", size="7", margin_bottom="0.25em"),
        rx.text(t["statuses_intro"], color=rx.color("gray", 11), margin_bottom="1em"),
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell(t["status_col"], min_width="9em"),
                    rx.table.column_header_cell(t["description_col"]),
                )
            ),
            rx.table.body(rx.foreach(StatusesState.status_rows, _status_row)),
            variant="surface",
            width="100%",
        ),
        rx.heading(t["delivery_methods_title"], as_="h2", size="5", margin_top="1.5em", margin_bottom="0.5em"),
        rx.unordered_list(
            rx.foreach(StatusesState.delivery_rows, lambda r: rx.list_item(r["label"])),
        ),
    )
