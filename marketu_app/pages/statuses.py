"""The status reference: Marketu's table of order statuses, from the catalogue.

A plain table with Radix Themes' table classes (same look, none of its React components; see
components/ui.py).
"""

from __future__ import annotations

import reflex as rx

from marketu_app.components.layout import shell
from marketu_app.components.ui import badge, heading
from marketu_app.state.statuses import StatusesState


def _status_row(row) -> rx.Component:
    return rx.el.tr(
        rx.el.td(badge(row["label"], row["color"]), id=row["code"], class_name="rt-TableCell"),
        rx.el.td(row["description"], class_name="rt-TableCell"),
        class_name="rt-TableRow",
    )


def statuses_page() -> rx.Component:
    t = StatusesState.t
    return shell(
        heading(t["statuses_title"], 1, "7", "page-title"),
        rx.el.p(t["statuses_intro"], class_name="page-intro"),
        rx.el.div(
            rx.el.div(
                rx.el.table(
                    rx.el.thead(
                        rx.el.tr(
                            rx.el.th(t["status_col"], scope="col", class_name="rt-TableCell rt-TableColumnHeaderCell"),
                            rx.el.th(t["description_col"], scope="col",
                                     class_name="rt-TableCell rt-TableColumnHeaderCell"),
                            class_name="rt-TableRow",
                        ),
                        class_name="rt-TableHeader",
                    ),
                    rx.el.tbody(rx.foreach(StatusesState.status_rows, _status_row), class_name="rt-TableBody"),
                    class_name="rt-TableRootTable",
                ),
                class_name="table-scroll",
            ),
            class_name="rt-TableRoot rt-r-size-2 rt-variant-surface statuses-table",
        ),
        heading(t["delivery_methods_title"], 2, "5", "section-title"),
        rx.el.ul(rx.foreach(StatusesState.delivery_rows, lambda r: rx.el.li(r["label"])), class_name="plain-list"),
    )
