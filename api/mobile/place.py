"""Where a phone stands, as the worker app sends it with a clock-in or a QR scan."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from api.mobile.geofence import Point

Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]


class PhonePlace(BaseModel):
    """The phone's geolocation (WGS-84) and how precise it says it is."""

    model_config = ConfigDict(extra="forbid")

    latitude: Latitude
    longitude: Longitude
    accuracy_m: float = Field(gt=0, le=100_000, description="the phone's location accuracy")

    @property
    def point(self) -> Point:
        return (self.latitude, self.longitude)
