"""The worker app's own ways of signing in on site: mobile clock-in (移动考勤打卡)."""
