"""Province profiles: every rule that differs between Hubei and Hunan is a setting, not an `if`.

Why data files: the two regulations (HB, HN) disagree on limits, PINs, loss reports, temporary
cards and fees (business-rules.md, "Province profiles"), and some values are not in the
regulations at all (fee amounts, bank lists) and will be corrected by the card management system
through a downlink profile update. So the values live in TOML files (`offline/profiles/*.toml`),
each with the article it comes from, and `parse_profile()` validates an updated text strictly:
an unknown key is a typo or a newer format, a missing key would silently fall back to nothing —
both are refused with a clear error rather than half-applied.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass, field, fields
from importlib import resources
from typing import Any

from offline.errors import Problem, ValidationError

PROVINCES: tuple[str, ...] = ("hubei", "hunan")

#: The keys `fees_fen` must hold (R-APP-10, R-REP-5, R-TMP-4).
FEE_KEYS: tuple[str, ...] = ("replace", "exchange", "temp_lost", "temp_damaged")

#: The sync suites a profile may choose (sync.suite; kept as numbers so offline/ imports no sync).
CRYPTO_SUITES: tuple[int, ...] = (1, 2)

#: TOML has no null: optional limits are written as this string.
NONE = "none"

#: The station setting holding the last validated `profile_update` from the card management system.
OVERRIDE_SETTING = "profile_override"


@dataclass(frozen=True)
class Profile:
    """One province's policy settings. Field comments name the rule each setting drives."""

    province: str  # 'hubei' | 'hunan'
    name_zh: str
    region_code: str  # GB/T 2260 province code, e.g. '420000'
    fast_days: int | None  # R-APP-5: fast production limit, working days
    batch_days: int  # R-APP-5: batch production limit, working days
    scattered_days: int | None  # R-APP-5: scattered (零星) production limit, working days (HN 29)
    initial_pin: str  # R-PIN-3
    pin_tries: int  # R-PIN-4: wrong PIN entries allowed before the PIN locks
    temp_loss_expiry_days: int | None  # R-LOSS-2: None = never expires by itself
    formal_loss_liftable: bool  # R-LOSS-1 / HN 22
    temp_cards: bool  # R-TMP-*
    temp_card_valid_days: int  # R-TMP-2
    contact_workdays: int  # R-ISS-2
    stock_age_months: int  # R-ISS-6
    sleeping_months: int  # R-ISS-6
    delivery_workdays: int  # R-ISS-7
    card_validity_years: int  # R-REP-2
    cartoon_age: int  # R-APP-2: photo optional below this age
    household_register_max_age: int  # R-ID-1: 户口簿 only below this age
    bank_change_workdays: int  # R-TRF-2
    freeze_unsynced_days: int  # station policy: no new applications beyond this unsynced age
    freeze_warn_days: int
    disk_floor_mb: int
    disk_warn_mb: int
    idle_lock_minutes: int
    lockout_attempts: int
    lockout_minutes: int
    temp_stock_low: int
    crypto_suite: int  # sync suite announced at enrolment: 1 = X25519/AES-GCM/Ed25519, 2 = 国密 SM2/SM3/SM4
    # Rules one province states and the other does not: each a named switch, so a service asks
    # the setting, never the province's name (tests/test_structure.py keeps it so).
    window_doc_images_and_signature: bool  # R-APP-1 / R-APP-8 (HB 11, 13, 39): both ID images + 签字确认
    in_person_instant_or_fast: bool  # R-APP-5 (HB 6): in person = instant or fast production, never batch
    financial_account_closed_first: bool  # R-REP-3 (HB 24): bank account lost/cancelled before 补换
    new_card_needs_old_account_closed: bool  # R-CAN-2 (HB 33): no new card while the old account is open
    overseas_chinese_passport: bool  # R-ID-1 (HN 3): a 华侨 applies with the Chinese passport
    banks: tuple[str, ...]  # R-APP-4: cooperating banks, Chinese names
    fees_fen: dict[str, int] = field(default_factory=dict)  # R-APP-10: keys FEE_KEYS
    source: dict[str, str] = field(default_factory=dict)  # setting -> article, e.g. 'HB 6'

    def __hash__(self) -> int:
        """Hashable despite its dict fields, so a profile can key a cache (equality stays by value)."""
        return hash((self.province, self.region_code, self.initial_pin, self.batch_days, self.banks))

    def fee(self, key: str) -> int:
        """The cost fee in fen for 'replace' | 'exchange' | 'temp_lost' | 'temp_damaged'."""
        return self.fees_fen[key]


_OPTIONAL_INT = {"fast_days", "scattered_days", "temp_loss_expiry_days"}
_BOOL = {
    "formal_loss_liftable",
    "temp_cards",
    "window_doc_images_and_signature",
    "in_person_instant_or_fast",
    "financial_account_closed_first",
    "new_card_needs_old_account_closed",
    "overseas_chinese_passport",
}
_STR = {"province", "name_zh", "region_code", "initial_pin"}
_SPECIAL = {"banks", "fees_fen", "source"}
#: Settings that must carry a source entry: everything but identity and the source table itself.
_NEEDS_SOURCE = tuple(f.name for f in fields(Profile) if f.name not in {"province", "name_zh", "source"})
_ALL_KEYS = tuple(f.name for f in fields(Profile))


class ProfileError(ValidationError):
    """A profile text that cannot be used; nothing of it is applied."""


def _problem(key: str, message: str, fix: str = "请核对省级配置文件后重新下发。") -> Problem:
    return Problem(field=key, rule="PROFILE", message=message, fix=fix, label="省份配置")


def parse_profile(text: str) -> Profile:
    """Parse and validate a profile (a bundled file or a downlink update); raise ProfileError.

    Strict on purpose: unknown keys, missing keys, wrong types, out-of-range values and settings
    without a source are all refused, listed together so one correction fixes them all.
    """
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(_problem("toml", f"配置文件格式错误：{exc}")) from exc
    problems: list[Problem] = []
    unknown = sorted(set(raw) - set(_ALL_KEYS))
    missing = [k for k in _ALL_KEYS if k not in raw]
    problems += [_problem(k, f"未知配置项“{k}”", "请删除该项或升级本程序。") for k in unknown]
    problems += [_problem(k, f"缺少配置项“{k}”") for k in missing]
    values: dict[str, Any] = {}
    for key in _ALL_KEYS:
        if key in raw:
            value, errs = _convert(key, raw[key])
            problems += errs
            values[key] = value
    if not problems:
        problems += _cross_checks(values)
    if problems:
        raise ProfileError(problems)
    return Profile(**values)


def _convert(key: str, value: Any) -> tuple[Any, list[Problem]]:
    """Type-check one setting and convert it to the dataclass type."""
    if key in _STR:
        if not isinstance(value, str) or not value:
            return value, [_problem(key, f"配置项“{key}”应为非空文字")]
        return value, []
    if key in _BOOL:
        if not isinstance(value, bool):
            return value, [_problem(key, f"配置项“{key}”应为 true 或 false")]
        return value, []
    if key == "banks":
        if not isinstance(value, list) or not value or not all(isinstance(b, str) and b for b in value):
            return value, [_problem(key, "合作银行名单应为非空的银行名称列表")]
        if len(set(value)) != len(value):
            return value, [_problem(key, "合作银行名单有重复")]
        return tuple(value), []
    if key == "fees_fen":
        return _convert_fees(value)
    if key == "source":
        if not isinstance(value, dict) or not all(isinstance(v, str) and v for v in value.values()):
            return value, [_problem(key, "来源表应为 配置项 = “条款” 的文字表")]
        return dict(value), []
    if key in _OPTIONAL_INT and value == NONE:
        return None, []
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        hint = "或 “none”" if key in _OPTIONAL_INT else ""
        return value, [_problem(key, f"配置项“{key}”应为非负整数{hint}")]
    return value, []


def _convert_fees(value: Any) -> tuple[Any, list[Problem]]:
    if not isinstance(value, dict):
        return value, [_problem("fees_fen", "工本费应为表 [fees_fen]")]
    problems = [_problem("fees_fen", f"工本费缺少“{k}”") for k in FEE_KEYS if k not in value]
    problems += [_problem("fees_fen", f"工本费有未知项“{k}”") for k in value if k not in FEE_KEYS]
    for k, v in value.items():
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            problems.append(_problem("fees_fen", f"工本费“{k}”应为以分计的非负整数"))
    return dict(value), problems


def _cross_checks(v: dict[str, Any]) -> list[Problem]:
    """Checks between settings, once every value has the right type."""
    problems: list[Problem] = []
    if v["province"] not in PROVINCES:
        problems.append(_problem("province", f"未知省份“{v['province']}”，应为 {'、'.join(PROVINCES)}"))
    pin = v["initial_pin"]
    if len(pin) != 6 or not pin.isdigit():
        problems.append(_problem("initial_pin", "初始社会保障密码应为 6 位数字"))
    code = v["region_code"]
    if len(code) != 6 or not code.isdigit() or not code.endswith("0000"):
        problems.append(_problem("region_code", "省级行政区划代码应为 6 位数字，以 0000 结尾"))
    for key in ("batch_days", "pin_tries", "card_validity_years", "lockout_attempts"):
        if v[key] < 1:
            problems.append(_problem(key, f"配置项“{key}”应至少为 1"))
    if v["crypto_suite"] not in CRYPTO_SUITES:
        problems.append(_problem("crypto_suite", "加密套件应为 1（国际算法）或 2（国密 SM2/SM3/SM4）"))
    if v["freeze_warn_days"] > v["freeze_unsynced_days"]:
        problems.append(_problem("freeze_warn_days", "提醒天数不应大于冻结天数"))
    if v["disk_warn_mb"] < v["disk_floor_mb"]:
        problems.append(_problem("disk_warn_mb", "磁盘提醒阈值不应小于磁盘下限"))
    source: dict[str, str] = v["source"]
    problems += [
        _problem(k, f"配置项“{k}”缺少来源条款", "请在 [source] 中写明依据条款。")
        for k in _NEEDS_SOURCE
        if k not in source
    ]
    problems += [_problem(k, f"来源表有未知项“{k}”") for k in source if k not in _NEEDS_SOURCE]
    return problems


def profile_text(province: str) -> str:
    """The bundled TOML text of a province (what a profile update replaces)."""
    if province not in PROVINCES:
        raise ProfileError(
            _problem("province", f"未知省份“{province}”", f"可选省份：{'、'.join(PROVINCES)}。")
        )
    return resources.files("offline").joinpath("profiles", f"{province}.toml").read_text(encoding="utf-8")


def load_profile(province: str) -> Profile:
    """The bundled profile of `province` ('hubei' | 'hunan'), validated like an update."""
    return parse_profile(profile_text(province))


@dataclass(frozen=True)
class EffectiveProfile:
    """The profile a station works with, and why: the bundled one, or the gateway's update.

    `problems` says (in Chinese) why a stored update is not in force; `cardstation doctor` and the
    sync status show it, and the station keeps working on its bundled profile meanwhile.
    """

    profile: Profile
    overridden: bool
    problems: tuple[Problem, ...] = ()


@functools.lru_cache(maxsize=8)
def effective_profile(province: str, override: str | None) -> EffectiveProfile:
    """`province`'s bundled profile with the stored `profile_update` applied when it is valid.

    The update is a whole profile text, checked by the same strict parser as the bundled files
    and refused whole (never half-applied): a text that no longer parses (e.g. written for an
    older release that lacked a setting) or that names another province leaves the bundled
    profile in force. Cached by text, so asking before every business costs one settings read.
    """
    base = load_profile(province)
    if not override:
        return EffectiveProfile(base, False)
    try:
        updated = parse_update(override, province)
    except ProfileError as exc:
        return EffectiveProfile(base, False, tuple(exc.problems))
    return EffectiveProfile(updated, True)


def parse_update(text: str, province: str) -> Profile:
    """A `profile_update` for a station of `province`: the strict parser, and the same province."""
    updated = parse_profile(text)
    if updated.province != province:
        raise ProfileError(
            _problem(
                "province",
                f"下发的业务参数属于{updated.name_zh}，与本站省份不符",
                "请联系卡管系统重新下发本省的业务参数。",
            )
        )
    return updated
