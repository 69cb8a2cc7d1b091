"""Route constants and URL builders."""

PARCELS = "/"
STATUSES = "/statuses"
LOGIN = "/login"
PASSWORD = "/password"
NOTIFICATIONS = "/notifications"
FORGOT = "/forgot"
RESET = "/reset"
PARCEL = "/parcel/[number]"
NOTIFICATIONS = "/notifications"
FORGOT = "/forgot"
RESET = "/reset"  # the notification settings (the `notify` page; see layout.main_places)


def parcel_url(number: str) -> str:
    return f"/parcel/{number}"
