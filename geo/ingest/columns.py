"""Column roles (province, value, date, source, target, longitude, latitude), recognised only
by exact normalised synonyms: never by position, never fuzzily."""
from __future__ import annotations

import re

from ..data.regions import normalise_text

_SYNONYMS = {
    "name": ("省份", "省", "地区", "省份名称", "地区名称", "省区市", "省市", "省级行政区", "行政区",
             "行政区划", "行政区名称", "行政区划名称", "区域", "名称", "省名", "省份名", "省市区",
             "province", "provincename", "name", "region", "regionname", "prov", "省区"),
    "adcode": ("adcode", "code", "代码", "行政区划代码", "区划代码", "行政代码", "省份代码", "地区代码",
               "省代码", "编码", "行政区划编码", "统计用区划代码", "gbcode", "provincecode",
               "regioncode", "divisioncode", "adcode6", "iso", "isocode", "iso31662"),
    "value": ("value", "count", "数量", "数值", "值", "个数", "总数", "数目", "number", "num",
              "basestations", "5gbasestations", "numberof5gbasestations", "5gbs", "sites",
              "基站数", "基站数量", "5g基站数", "5g基站数量", "5g基站", "站点数", "数据中心数",
              "数据中心数量", "超算中心数", "园区数", "园区数量", "高新区数", "高新区数量", "累计数"),
    "as_of": ("asof", "asofdate", "date", "日期", "时间", "截至", "截止", "截至日期", "截止日期",
              "截至时间", "统计时间", "统计日期", "报告期", "年份", "年度", "年", "year", "period",
              "数据时间", "时点"),
    "source": ("source", "sources", "来源", "数据来源", "资料来源", "出处", "信息来源", "reference",
               "ref", "sourceurl", "url", "链接"),
    "target": ("target", "targetvalue", "目标", "目标值", "目标数", "目标数量", "规划目标", "规划值",
               "预期目标", "规划数", "goal"),
    "target_year": ("targetyear", "目标年份", "目标年", "目标年度", "规划年", "规划年份", "期限",
                    "deadline"),
    "lon": ("lon", "lng", "long", "longitude", "经度", "x", "东经"),
    "lat": ("lat", "latitude", "纬度", "y", "北纬"),
}
ROLES = tuple(_SYNONYMS)


def _header_key(cell: str) -> str:
    key = normalise_text(cell)
    return re.sub(r"(\([^()]*\)|\[[^\[\]]*\])$", "", key)  # "基站数（万个）" -> "基站数"


def column_candidates(header: list[str]) -> dict[str, list[str]]:
    """For each role, every column whose normalised name is a synonym of it."""
    lookup = {normalise_text(s): role for role, names in _SYNONYMS.items() for s in names}
    found: dict[str, list[str]] = {role: [] for role in ROLES}
    for column in header:
        role = lookup.get(_header_key(column))
        if role:
            found[role].append(column)
    return found


def guess_columns(header: list[str]) -> dict[str, str | None]:
    """The column for each role, recognised only by exact normalised synonyms.

    A role with no matching column, or with more than one, is None: the app asks the user.
    Columns are never guessed by position.
    """
    return {role: cols[0] if len(cols) == 1 else None
            for role, cols in column_candidates(header).items()}

