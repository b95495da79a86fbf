"""Attendance: the pure pairing core (:mod:`.timeline`) and its streaming adapter."""
