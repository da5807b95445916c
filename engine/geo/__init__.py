"""Coordinates: datums (WGS-84, GCJ-02, BD-09, CGCS2000) and project locations (points and lines)."""
