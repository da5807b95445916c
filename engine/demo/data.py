"""The demo district's figures: regions, units, actors and projects.

Projects come from published 2024 lists (see ``shared/DOMAIN.md``): a county's sports grounds, school road, old
estates, rural road barriers and high-standard farmland; a district's school places, pocket parks, black-odorous
water bodies, markets, congestion points, HPV vaccine doses and sports parks; charging points; plus the towns' and
villages' own projects. Each project names the stage of the default lifecycle it has reached (``stage``);
``engine.demo.script`` maps stages to states and the events that lead there.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

YEAR = 2024

# code, name, level, parent code
REGIONS: tuple[tuple[str, str, str, str | None], ...] = (
    ("donghai", "东海省", "province", None),
    ("linjiang", "临江市", "city", "donghai"),
    ("pingan", "平安区", "county", "linjiang"),
    ("chengguan", "城关街道", "town", "pingan"),
    ("hexi", "河西街道", "town", "pingan"),
    ("qingshi", "青石镇", "town", "pingan"),
    ("taoyuan", "桃源镇", "town", "pingan"),
    ("dongmen", "东门社区", "village", "chengguan"),
    ("nanguan", "南关社区", "village", "chengguan"),
    ("binhe", "滨河社区", "village", "hexi"),
    ("qingshi_village", "青石村", "village", "qingshi"),
    ("liuwan", "柳湾村", "village", "qingshi"),
    ("taoyuan_village", "桃源村", "village", "taoyuan"),
    ("shiqiao", "石桥村", "village", "taoyuan"),
)

# code, name, region code
UNITS: tuple[tuple[str, str, str], ...] = (
    ("edu", "平安区教育局", "pingan"),
    ("housing", "平安区住房和城乡建设局", "pingan"),
    ("transport", "平安区交通运输局", "pingan"),
    ("agriculture", "平安区农业农村局", "pingan"),
    ("health", "平安区卫生健康委员会", "pingan"),
    ("water", "平安区水利局", "pingan"),
    ("culture", "平安区文化旅游体育局", "pingan"),
    ("urban", "平安区城市管理局", "pingan"),
    ("civil", "平安区民政局", "pingan"),
    ("commerce", "平安区商务局", "pingan"),
    ("industry", "平安区工业和信息化局", "pingan"),
    ("chengguan_gov", "城关街道办事处", "chengguan"),
    ("hexi_gov", "河西街道办事处", "hexi"),
    ("qingshi_gov", "青石镇人民政府", "qingshi"),
    ("taoyuan_gov", "桃源镇人民政府", "taoyuan"),
)

# username: (role, display name, home region code, unit code). One actor per role of the default workflow, plus a
# town office clerk who sees only 青石镇 and its villages. Roles a loaded workflow does not know are skipped.
ACTORS: dict[str, tuple[str, str, str, str | None]] = {
    "office": ("office", "平安区政府办 李明", "pingan", None),
    "committee": ("committee", "平安区人大常委会 张华", "pingan", None),
    "finance": ("finance", "平安区财政局 王芳", "pingan", None),
    "unit": ("unit", "平安区教育局 陈静", "pingan", "edu"),
    "supervisor": ("supervisor", "民生监督员 刘洋", "pingan", None),
    "deputy": ("deputy", "区人大代表 赵丽", "pingan", None),
    "third_party": ("third_party", "第三方评估机构 孙伟", "pingan", None),
    "admin": ("admin", "系统管理员 周平", "pingan", None),
    "resident": ("resident", "东门社区居民 吴敏", "dongmen", None),
    "qingshi_office": ("office", "青石镇党政办 郑强", "qingshi", None),
}


@dataclass(frozen=True)
class ProjectSeed:
    code: str
    region: str  # region code
    unit: str  # lead unit code
    stage: str  # a state of the default workflow
    category: str
    budget_wan: str  # 万元 (10,000 yuan)
    title: str
    target: str

    @property
    def budget(self) -> Decimal:
        return (Decimal(self.budget_wan) * 10000).quantize(Decimal("0.01"))


_ROWS = (
    ("PA-01", "pingan", "edu", "reviewed", "教育", "300", "城区中小学运动场改造", "改造学校运动场5个"),
    ("PA-02", "pingan", "housing", "handed_over", "交通", "300", "实验小学门前道路改造", "改造道路0.8公里"),
    ("PA-03", "pingan", "housing", "in_progress", "住房", "1360", "老旧小区改造", "改造老旧小区3个"),
    ("PA-04", "pingan", "transport", "completed", "交通", "3000", "农村公路安全生命防护工程",
     "安装安全防护栏31.656公里"),
    ("PA-05", "pingan", "agriculture", "in_progress", "农业", "4930", "高标准农田建设", "建设高标准农田500亩"),
    ("PA-06", "pingan", "edu", "approved", "教育", "12000", "新增中小学学位", "新增学位15000个、寄宿床位20000个"),
    ("PA-07", "pingan", "urban", "in_progress", "城建", "2000", "口袋公园建设", "建设口袋公园200个"),
    ("PA-08", "pingan", "water", "rectifying", "生态", "5400", "黑臭水体治理", "治理黑臭水体不少于27条"),
    ("PA-09", "pingan", "commerce", "completed", "商贸", "2150", "农贸市场标准化改造", "改造农贸市场43个"),
    ("PA-10", "pingan", "transport", "suspended", "交通", "800", "城区交通拥堵点治理", "治理拥堵点10处"),
    ("PA-11", "pingan", "health", "reviewed", "卫生", "297", "适龄女生HPV疫苗免费接种", "接种HPV疫苗9000剂"),
    ("PA-12", "pingan", "culture", "assessed", "体育", "3000", "体育公园建设", "建设体育公园30个"),
    ("PA-13", "pingan", "urban", "handed_over", "城建", "500", "新能源汽车充电桩建设", "建设公共充电桩100个"),
    ("PA-14", "pingan", "civil", "approved", "养老", "600", "社区老年助餐点建设", "建设老年助餐点20个"),
    ("PA-15", "pingan", "water", "completed", "水利", "1800", "农村饮水安全巩固提升", "受益人口3.2万人"),
    ("PA-16", "pingan", "health", "in_progress", "卫生", "900", "乡镇卫生院标准化建设", "改造乡镇卫生院4所"),
    ("PA-17", "pingan", "urban", "proposed", "城建", "450", "城区背街小巷整治", "整治背街小巷15条"),
    ("PA-18", "pingan", "civil", "proposed", "养老", "350", "居家养老服务中心建设", "建设服务中心3个"),
    ("PA-19", "pingan", "edu", "assessed", "教育", "1500", "公办幼儿园扩建", "新增幼儿园学位900个"),
    ("PA-20", "pingan", "urban", "rejected", "城建", "2600", "城区主干道夜景亮化", "亮化主干道8条"),
    ("PA-21", "pingan", "housing", "terminated", "交通", "1200", "城区智慧停车场建设", "新增停车位600个"),
    ("PA-22", "pingan", "culture", "reviewed", "文化", "260", "农家书屋提档升级", "升级农家书屋40个"),
    ("PA-23", "pingan", "agriculture", "suspended", "生态", "700", "农村生活污水治理", "治理行政村12个"),
    ("CG-01", "chengguan", "chengguan_gov", "handed_over", "城建", "120", "城关街道公共厕所改造", "改造公厕12座"),
    ("CG-02", "dongmen", "chengguan_gov", "proposed", "养老", "30", "东门社区老年活动中心", "建设活动中心1个"),
    ("HX-01", "hexi", "hexi_gov", "in_progress", "城建", "80", "河西街道口袋公园", "建设口袋公园4个"),
    ("HX-02", "binhe", "hexi_gov", "rejected", "城建", "45", "滨河社区非机动车停车棚", "建设停车棚6个"),
    ("QS-01", "qingshi", "qingshi_gov", "completed", "商贸", "260", "青石镇集镇农贸市场改造", "改造市场1个"),
    ("QS-02", "liuwan", "qingshi_gov", "approved", "文化", "35", "柳湾村文化广场", "建设广场1200平方米"),
    ("QS-03", "qingshi_village", "qingshi_gov", "terminated", "交通", "60", "青石村便民桥", "新建便民桥1座"),
    ("TY-01", "taoyuan", "taoyuan_gov", "reviewed", "交通", "420", "桃源镇村道硬化", "硬化村道12公里"),
    ("TY-02", "taoyuan_village", "taoyuan_gov", "suspended", "水利", "55", "桃源村饮水工程", "受益农户480户"),
    ("TY-03", "shiqiao", "taoyuan_gov", "assessed", "城建", "28", "石桥村路灯安装", "安装太阳能路灯120盏"),
    ("TY-04", "shiqiao", "taoyuan_gov", "rectifying", "生态", "40", "石桥村垃圾分类收集点", "建设收集点16个"),
    ("PA-24", "pingan", "industry", "completed", "通信", "1800", "5G基站建设", "新建5G基站120个"),
)

# Planned periods run 1 March – 30 November unless listed here: the projects still under way end on different
# days, so that on the demo's date (31 December) they stand at different steps of the 督办 ladder — warned
# (HX-01), due today (PA-16), escalated 挂牌督办 (PA-07), called in 约谈 (PA-03) — and one runs into next year
# (PA-05: it can be ahead of 序时进度).
PLANNED_ENDS: dict[str, str] = {"PA-05": "2025-03-31", "PA-07": "2024-12-13", "PA-16": "2024-12-31",
                                "HX-01": "2025-01-06"}

PROJECTS: tuple[ProjectSeed, ...] = tuple(ProjectSeed(*row) for row in _ROWS)
