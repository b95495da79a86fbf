"""The platform's local time zone (the floor): sites, days and shifts are Beijing time.

Every "day" in SitePulse (attendance days, alert windows, dashboards' 今日) is a day of
this zone; event times themselves are stored in UTC.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")
