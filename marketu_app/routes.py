"""Route constants and URL builders."""

PARCELS = "/"
STATUSES = "/statuses"
LOGIN = "/login"
PASSWORD = "/password"
NOTIFICATIONS = "/notifications"  # the notification settings (a main place: see layout.main_places)
FORGOT = "/forgot"
RESET = "/reset"
PARCEL = "/parcel/[number]"


def parcel_url(number: str) -> str:
    return f"/parcel/{number}"
