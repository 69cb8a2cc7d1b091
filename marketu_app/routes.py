"""Route constants and URL builders."""

PARCELS = "/"
STATUSES = "/statuses"
LOGIN = "/login"
PASSWORD = "/password"
PARCEL = "/parcel/[number]"


def parcel_url(number: str) -> str:
    return f"/parcel/{number}"
