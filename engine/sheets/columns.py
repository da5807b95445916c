"""The column table of the annual list 年度民生实事项目清单: one table for the import and the export.

A header is recognised by its name or one of its aliases, compared without spaces or line breaks, with
full-width brackets read as ASCII ones and a leading ``*`` (a "required" mark) dropped: ``总投资（万元）``,
``总投资 (万元)`` and ``*总投资(万元)`` are all ``总投资(万元)``. Columns marked read-only are written by the export
with the project's current figures and ignored by the import; headers the table does not know are ignored too (and
named in the report), so an office's own columns (备注, 联系人) do no harm. ``field`` is what a GraphQL
``userErrors`` path names: ``["rows", "12", "budget"]`` is row 12, column 总投资(万元).
"""
from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    header: str  # as the export writes it
    field: str  # the name in userErrors paths and in the parsed row
    aliases: tuple[str, ...] = ()
    required: bool = False
    read_only: bool = False
    note: str = ""


COLUMNS = (
    Column("序号", "number", ("编号序号",), read_only=True, note="row number; ignored"),
    Column("项目编号", "code", ("项目代码", "编号"), note="blank: the engine gives YEAR-NNNNN"),
    Column("项目名称", "title", ("名称", "实事项目", "项目"), required=True),
    Column("类别", "category", ("项目类别", "类型", "领域"), required=True),
    Column("建设内容及规模", "description", ("建设内容和规模", "建设内容", "建设规模", "主要内容")),
    Column("目标", "target", ("目标任务", "绩效目标", "年度目标")),
    Column("所属区域", "region", ("区域", "地区", "所属地区", "实施区域"),
           note="a region's code or name at or below --region; blank: --region itself"),
    Column("责任单位", "lead_unit", ("牵头单位", "牵头责任单位", "实施单位"), note="a unit's code or name"),
    Column("配合单位", "cooperating_units", ("协办单位", "配合部门", "协同单位"),
           note="codes or names separated by 、，,；; or new lines"),
    Column("总投资(万元)", "budget", ("总投资", "投资(万元)", "计划投资(万元)", "预算(万元)", "总投资额(万元)"),
           required=True, note="in 10,000 yuan; stored in yuan"),
    Column("计划开工", "planned_start", ("计划开工时间", "计划开工日期", "开工时间")),
    Column("计划完工", "planned_end", ("计划完工时间", "计划完工日期", "计划完成时间", "计划完成", "完工时间")),
    Column("经度", "longitude", ("longitude", "lng", "lon")),
    Column("纬度", "latitude", ("latitude", "lat")),
    Column("线路坐标", "line", ("线路", "走向坐标"), note="a line: lon,lat; lon,lat; …"),
    Column("坐标系", "datum", ("坐标系统", "datum"), note="WGS-84 (blank), CGCS2000, GCJ-02 or BD-09"),
    Column("流程", "workflow", ("工作流", "workflow"), note="the workflow's name; blank: the region's own, else minsheng"),
    Column("状态", "state", ("当前状态", "项目状态"), read_only=True),
    Column("实际进度(%)", "progress", ("实际进度", "完成进度"), read_only=True),
    Column("序时进度(%)", "expected_progress", ("序时进度",), read_only=True),
    Column("进度颜色", "colour", ("颜色",), read_only=True),
)
BY_FIELD = {c.field: c for c in COLUMNS}
_SPACES = re.compile(r"\s+")
_WIDE = str.maketrans({"（": "(", "）": ")", "％": "%", "：": ":"})


def normalised(header: object) -> str:
    """A header as compared: no spaces or line breaks, ASCII brackets, no leading required mark."""
    text = _SPACES.sub("", str(header or "")).translate(_WIDE)
    return text.lstrip("*").lower()


_KNOWN = {normalised(name): column for column in COLUMNS for name in (column.header, *column.aliases)}


def column_named(header: object) -> Column | None:
    """The column a header names, or None."""
    return _KNOWN.get(normalised(header))
