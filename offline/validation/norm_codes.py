"""Coded fields by name, by short name and by number -> the code the store keeps (R-APP-1, R-ID-1).

Each kind has its code table in `offline.codes` and an alias file `offline/data/alias_<kind>.tsv`
(sources in `offline/data/README.md`). A lookup key is the input width-folded, without spaces,
Latin upper-cased; the official name and the code itself are always keys. Numbers are accepted
the way people write them: sex 1/2, ethnicity 1 or 01, occupation 5, 5-01 or 5010000.

When nothing matches, the problem names the closest choices ("您是不是要填：…"): candidates are
the table's keys ranked by shared characters (difflib), with keys that contain the input or are
contained in it first, so 农业 -> 农业生产人员, 浦东银行 -> 上海浦东发展银行.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources

from offline import codes
from offline.validation import messages as m
from offline.validation.norm_text import Normalised, fold_width

#: kind -> (code table, Chinese label for messages).
CODE_KINDS: dict[str, tuple[Mapping[str, str], str]] = {
    "sex": (codes.SEX, "性别"),
    "ethnicity": (codes.ETHNICITY, "民族"),
    "nationality": (codes.NATIONALITY, "国籍"),
    "doc_type": (codes.DOC_TYPES, "证件类型"),
    "occupation": (codes.OCCUPATIONS, "职业"),
    "relation": (codes.RELATIONS, "关系"),
}
#: The rural credit union of each province is written as this in alias_bank.tsv.
RURAL_CREDIT = "农村信用社"
SUGGESTIONS = 5


def key_of(text: str) -> str:
    """Lookup key: width folded, no whitespace, Latin upper case."""
    return re.sub(r"\s+", "", fold_width(text)).upper()


def read_aliases(kind: str) -> list[tuple[str, str]]:
    """(code, alias) pairs of `alias_<kind>.tsv`, in file order."""
    text = resources.files("offline.data").joinpath(f"alias_{kind}.tsv").read_text(encoding="utf-8")
    pairs = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        code, _, alias = line.partition("\t")
        pairs.append((code.strip(), alias.strip()))
    return pairs


def _official_keys(kind: str) -> list[tuple[str, str]]:
    table, _ = CODE_KINDS[kind]
    pairs: list[tuple[str, str]] = []
    for code, name in table.items():
        pairs += [(code, code), (code, name)]
        if kind == "ethnicity" and name.endswith("族"):
            pairs.append((code, name[:-1]))
    return pairs


def build_keys(kind: str) -> tuple[dict[str, str], list[str]]:
    """key -> code for a kind, and the keys that would map to two codes (must be empty)."""
    keys: dict[str, str] = {}
    conflicts: list[str] = []
    official = _official_keys(kind) if kind in CODE_KINDS else []
    if kind in ("bank", "column"):  # the full names are keys too
        official = [(code, code) for code, _ in read_aliases(kind)]
    for code, alias in [*official, *read_aliases(kind)]:
        k = key_of(alias)
        if k in keys and keys[k] != code:
            conflicts.append(f"{alias}: {keys[k]} / {code}")
        keys.setdefault(k, code)
    return keys, conflicts


@cache
def _keys(kind: str) -> dict[str, str]:
    return build_keys(kind)[0]


@cache
def column_keys() -> dict[str, str]:
    """Batch list header -> the template's column (alias_column.tsv; the columns themselves too)."""
    keys, _ = build_keys("column")
    return keys


def _by_number(kind: str, k: str) -> str | None:
    """Codes written as numbers: ethnicity '1' -> '01'; occupation '5', '5-01', '501' -> 7 digits."""
    if kind == "ethnicity" and k.isdigit() and len(k) == 1:
        return "0" + k
    if kind == "occupation":
        found = re.fullmatch(r"(\d)(?:-?(\d{2}))?(?:0000)?", k)
        if found is not None:
            return found.group(1) + (found.group(2) or "00") + "0000"
    return None


def normalise_code(kind: str, value: str) -> Normalised:
    """A coded field: the code when understood, else the closest choices."""
    table, label = CODE_KINDS[kind]
    k = key_of(value)
    if not k:
        return Normalised("")
    code = _keys(kind).get(k)
    if code is None:
        number = _by_number(kind, k)
        code = number if number in table else None
    if code is None:
        return _not_understood(value, label, _suggest(k, _keys(kind), table))
    shown = f"{codes.occupation_display(code)} {table[code]}" if kind == "occupation" else table[code]
    return Normalised(code, "" if value.strip() in (code, table[code]) else shown)


@cache
def _sound(text: str) -> str:
    """Toneless pinyin of a key (汗族 and 汉族 both 'hanzu'), so a homophone typo is found."""
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(text)).lower()


def _score(a: str, b: str) -> float:
    chars = difflib.SequenceMatcher(None, a, b).ratio()
    return max(chars, difflib.SequenceMatcher(None, _sound(a), _sound(b)).ratio())


def _suggest(k: str, keys: Mapping[str, str], table: Mapping[str, str]) -> list[str]:
    """The Chinese names of the codes closest to the key, best first (characters or pinyin)."""
    inside = [key for key in keys if len(k) >= 2 and (k in key or (len(key) >= 2 and key in k))]
    scored = sorted(((_score(k, key), key) for key in keys), reverse=True)
    close = [key for score, key in scored[:20] if score >= 0.5]
    names: list[str] = []
    for key in [*inside, *close]:
        name = table.get(keys[key], keys[key])
        if name not in names:
            names.append(name)
    return names[:SUGGESTIONS] or list(table.values())[:SUGGESTIONS]


def _not_understood(value: str, label: str, choices: Sequence[str]) -> Normalised:
    msg = m.NOT_UNDERSTOOD.format(value=value.strip(), label=label, choices="、".join(choices))
    return Normalised(value, problem=msg, fix=m.FIX_PICK_NAMED.format(label=label))


def normalise_bank(value: str, banks: Sequence[str]) -> Normalised:
    """A cooperating bank (R-APP-4) by full name, short name or initials -> the profile's name.

    `banks` is the province's list; with none given (no profile at hand) any known bank is accepted.
    """
    k = key_of(value)
    if not k:
        return Normalised("")
    by_key = {key_of(b): b for b in banks}
    if k in by_key:
        return Normalised(by_key[k], "" if by_key[k] == value.strip() else by_key[k])
    full = _keys("bank").get(k)
    if full is None:  # "中国农业银行股份有限公司xx支行": starts with a listed name
        full = next((b for bk, b in by_key.items() if k.startswith(bk)), None)
    if full == RURAL_CREDIT or (full is None and RURAL_CREDIT in k):
        full = next((b for b in banks if RURAL_CREDIT in b), RURAL_CREDIT if not banks else None)
    if full is not None and (not banks or full in banks):
        return Normalised(full, "" if full == value.strip() else full)
    choices = list(banks) or sorted({b for b in _keys("bank").values() if b != RURAL_CREDIT})
    if full is not None:
        msg = m.BANK_NOT_HERE.format(value=value.strip(), bank=full, choices="、".join(choices))
        return Normalised(value, problem=msg, fix=m.FIX_BANK)
    ranked = _suggest(k, {**_keys("bank"), **by_key}, {})
    named = [b for b in ranked if b in choices] or choices
    return _not_understood(value, "发卡银行", named[:SUGGESTIONS] if ranked else choices)
