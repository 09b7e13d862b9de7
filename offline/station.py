"""Station set-up: which province, which service point, which terminal (R-SEC-4, HB appendix 1).

The service-point number is 17 digits: region code (9) + institution code (5) + serial (3).
Its region must lie in the station's province (42 Hubei, 43 Hunan), because receipt numbers
start with it (offline/receipts.py) and the card management system routes by it. A store is
initialised once; a second init is refused, since receipt numbers and the audit chain already
carry the first identity.

Settings written: province, service_point, terminal, station_id (= service point + terminal),
initialised_at.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from offline.profiles import EffectiveProfile, Profile

from offline import audit
from offline.auth import password_problems
from offline.errors import Problem, ValidationError
from offline.operators import account_problems, insert_operator
from offline.store import Store

#: Canonical province key → (GB/T 2260 province code, Chinese name).
PROVINCES: dict[str, tuple[str, str]] = {"hubei": ("42", "湖北省"), "hunan": ("43", "湖南省")}
PROVINCE_ALIASES: dict[str, str] = {
    "hubei": "hubei",
    "hb": "hubei",
    "湖北": "hubei",
    "湖北省": "hubei",
    "hunan": "hunan",
    "hn": "hunan",
    "湖南": "hunan",
    "湖南省": "hunan",
}
SETTING_KEYS = ("province", "service_point", "terminal", "station_id", "initialised_at")

# Operator-facing text (Chinese), kept together.
LABEL_PROVINCE, LABEL_SERVICE_POINT, LABEL_TERMINAL = "省份", "服务点编号", "终端号"
MSG_PROVINCE = "不支持的省份“{value}”"
FIX_PROVINCE = "请选择 hubei（湖北省）或 hunan（湖南省）。"
MSG_SP_FORMAT = "服务点编号应为 17 位数字（地区代码 9 位 + 机构代码 5 位 + 流水号 3 位），当前输入“{value}”"
FIX_SP = "请按服务点标识牌上的编号填写 17 位数字。"
MSG_SP_REGION = "地区代码 {region} 不在{province}（应以 {code} 开头）"
FIX_SP_REGION = "请核对服务点编号，或选择正确的省份。"
MSG_SP_SERIAL = "流水号不能为 000"
FIX_SP_SERIAL = "流水号从 001 起编，请核对服务点编号的最后 3 位。"
MSG_TERMINAL = "终端号应为 01-99 的两位数字，当前输入“{value}”"
FIX_TERMINAL = "同一服务点有多台电脑时依次编为 01、02……"
MSG_ALREADY = "本数据库已初始化为服务点 {station_id}（{at}），不能重复初始化"
FIX_ALREADY = "如需在另一台电脑或另一服务点使用，请用新的数据库文件（--db 或 CARDSTATION_DB）。"


@dataclass(frozen=True)
class StationInfo:
    """Who this station is; read once at start-up and handed to the service context."""

    province: str  # canonical key: 'hubei' | 'hunan'
    service_point: str  # 17 digits (R-SEC-4)
    terminal: str  # 2 digits
    station_id: str  # service_point + terminal (19 digits), the envelope station id
    initialised_at: str

    @property
    def region(self) -> str:
        return self.service_point[:9]

    @property
    def institution(self) -> str:
        return self.service_point[9:14]

    @property
    def serial(self) -> str:
        return self.service_point[14:]

    @property
    def province_zh(self) -> str:
        return PROVINCES[self.province][1]


def normalise_province(value: str) -> str | None:
    """'HB', 'hubei', '湖北' → 'hubei'; None if unknown."""
    return PROVINCE_ALIASES.get(value.strip().lower())


def service_point_problems(service_point: str, province: str) -> list[Problem]:
    """R-SEC-4 checks of a service-point number for `province` (canonical key or alias)."""
    sp = service_point.strip()
    if len(sp) != 17 or not sp.isascii() or not sp.isdigit():
        return [
            Problem("service_point", "R-SEC-4", MSG_SP_FORMAT.format(value=sp), FIX_SP, LABEL_SERVICE_POINT)
        ]
    found: list[Problem] = []
    key = normalise_province(province)
    if key is not None:
        code, name = PROVINCES[key]
        if not sp.startswith(code):
            found.append(
                Problem(
                    "service_point",
                    "R-SEC-4",
                    MSG_SP_REGION.format(region=sp[:9], province=name, code=code),
                    FIX_SP_REGION,
                    LABEL_SERVICE_POINT,
                )
            )
    if sp[14:] == "000":
        found.append(Problem("service_point", "R-SEC-4", MSG_SP_SERIAL, FIX_SP_SERIAL, LABEL_SERVICE_POINT))
    return found


def _terminal_problems(terminal: str) -> list[Problem]:
    t = terminal.strip()
    if len(t) == 2 and t.isascii() and t.isdigit() and t != "00":
        return []
    return [Problem("terminal", "R-SEC-4", MSG_TERMINAL.format(value=t), FIX_TERMINAL, LABEL_TERMINAL)]


def station_info(store: Store) -> StationInfo | None:
    """The station's identity, or None when the store was never initialised."""
    marks = ",".join("?" * len(SETTING_KEYS))
    rows = store.query(f"SELECT key, value FROM settings WHERE key IN ({marks})", SETTING_KEYS)
    values = {str(r["key"]): str(r["value"]) for r in rows}
    if "station_id" not in values:
        return None
    return StationInfo(**{k: values.get(k, "") for k in SETTING_KEYS})


def init_station(
    store: Store,
    *,
    province: str,
    service_point: str,
    terminal: str = "01",
    admin_username: str,
    admin_real_name: str,
    admin_password: str,
    now: datetime,
) -> StationInfo:
    """Initialise an empty store: station identity (R-SEC-4) and its first 系统管理员 (R-SEC-2).

    All input problems are reported together; nothing is written unless everything holds.
    """
    key = normalise_province(province)
    problems: list[Problem] = []
    if key is None:
        problems.append(
            Problem("province", "R-SEC-4", MSG_PROVINCE.format(value=province), FIX_PROVINCE, LABEL_PROVINCE)
        )
    problems += service_point_problems(service_point, province)
    problems += _terminal_problems(terminal)
    problems += account_problems(admin_username, admin_real_name, "admin")
    problems += password_problems(admin_username, admin_password)
    if problems:
        raise ValidationError(problems)
    assert key is not None
    sp, term = service_point.strip(), terminal.strip()
    at = (now if now.tzinfo is not None else now.astimezone()).isoformat(timespec="seconds")
    info = StationInfo(province=key, service_point=sp, terminal=term, station_id=sp + term, initialised_at=at)
    with store.write() as conn:
        existing = station_info(store)
        if existing is not None:
            raise ValidationError(
                Problem(
                    "service_point",
                    "R-SEC-4",
                    MSG_ALREADY.format(station_id=existing.station_id, at=existing.initialised_at),
                    FIX_ALREADY,
                    LABEL_SERVICE_POINT,
                )
            )
        for setting in SETTING_KEYS:
            store.set_setting(conn, setting, getattr(info, setting))
        admin = insert_operator(
            conn,
            username=admin_username,
            real_name=admin_real_name,
            role="admin",
            password=admin_password,
            now=now,
            by_id=None,
        )
        audit.append(
            conn,
            at=at,
            operator_id=admin.id,
            action="station.init",
            target=info.station_id,
            details={"province": key, "service_point": sp, "terminal": term},
        )
    return info


def station_profile_state(info: StationInfo, store: Store) -> EffectiveProfile:
    """The bundled province profile with the card management system's update applied when valid
    (`offline.profiles.effective_profile`), and what is wrong with a stored update that is not."""
    from offline.profiles import OVERRIDE_SETTING, effective_profile

    return effective_profile(info.province, store.setting(OVERRIDE_SETTING))


def load_station_profile(info: StationInfo, store: Store) -> Profile:
    """The profile this station works with (imported lazily: parsing TOML is start-up cost)."""
    return station_profile_state(info, store).profile
