"""Figures officials report: the dashboard (counts by state, 完成率, 开工率, breakdowns, the plugins' figures),
the 红黑榜 rankings and the monthly bulletin workbook. Every figure comes from aggregate SQL over a scope of
projects (``engine.dashboard.scope``); nothing here loads projects one by one."""
