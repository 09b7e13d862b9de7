"""Store benchmark: lookups at a million persons, and application-acceptance throughput.

Prints p50/p99 latency of `search_persons` by social security number, card number, name
prefix and pinyin-initials prefix on a store of N persons (default 1,000,000; goal p99 < 5 ms),
and how many applications per second `apply_card` accepts (each one a full business: validation,
IMMEDIATE transaction, audit, sealed envelope with photo blob).

    .venv/bin/python bench/store.py [--persons 1000000] [--lookups 2000] [--applications 200] [--db PATH]
        [--encrypt]   # the store as `init` makes it: SQLCipher, keyed from $CARDSTATION_KEY_FILE

The persons are inserted in bulk (not through the service, which would take hours): the
benchmark is about lookups on a realistically sized table, built with the same schema and
indexes the station uses.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国红梅志强春燕海燕玉兰金凤德明建华文静晓东小红丽娟俊杰子涵雨轩浩然梓萱一诺欣怡"
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CARD_W = (3, 7, 9, 10, 5, 8, 4, 2)


def check_digit(first17: str) -> str:
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True)) % 11]


def card_check(first8: str) -> str:
    def val(c: str) -> int:
        return int(c) if c.isdigit() else ord(c) - 55

    r = 11 - sum(val(c) * w for c, w in zip(first8, CARD_W, strict=True)) % 11
    return "X" if r == 10 else "0" if r == 11 else str(r)


def initials_of(name: str, cache: dict[str, str]) -> str:
    out = cache.get(name)
    if out is None:
        from pypinyin import Style, lazy_pinyin

        out = "".join(p[0] for p in lazy_pinyin(name, style=Style.FIRST_LETTER) if p).lower()
        cache[name] = out
    return out


def populate(
    store_path: Path, n: int, seed: int = 7, *, encrypt: bool = False
) -> tuple[list[str], list[str], list[str]]:
    """Bulk-insert n persons (and a card for 80 % of them); return sample keys for lookups."""
    from offline.store import Store

    store = Store.open(store_path, encrypt=encrypt)
    rng = random.Random(seed)
    now = datetime.now().astimezone().isoformat(timespec="seconds")
    cache: dict[str, str] = {}
    seen: set[str] = set()
    ssns: list[str] = []
    cards: list[str] = []
    names: list[str] = []
    batch_p: list[tuple[object, ...]] = []
    batch_c: list[tuple[object, ...]] = []
    conn = store.connection()
    conn.execute("PRAGMA synchronous=OFF")  # bulk load only; the station itself always runs FULL
    t0 = time.perf_counter()
    for i in range(1, n + 1):
        birth = date(1940, 1, 1).toordinal() + rng.randrange(80 * 365)
        b = date.fromordinal(birth)
        sex = rng.choice("12")
        while True:  # GB 11643: the 17th digit is odd for men, even for women
            odd = 2 * rng.randrange(5) + (1 if sex == "1" else 0)
            first17 = f"4201{rng.randrange(1, 20):02d}{b:%Y%m%d}{rng.randrange(100):02d}{odd}"
            ssn = first17 + check_digit(first17)
            if ssn not in seen:
                seen.add(ssn)
                break
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        batch_p.append((i, ssn, name, initials_of(name, cache), sex, b.isoformat(), "01", ssn, now, now))
        if rng.random() < 0.8:
            first8 = "D" + f"{i:07d}"
            card = first8 + card_check(first8)
            batch_c.append((i, card, "中国工商银行", "issued", now, now))
            if rng.random() < 0.002:
                cards.append(card)
        if rng.random() < 0.002:
            ssns.append(ssn)
            names.append(name[:2])
        if len(batch_p) >= 20_000:
            _flush(conn, batch_p, batch_c)
    _flush(conn, batch_p, batch_c)
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("ANALYZE")
    print(
        f"populated {n:,} persons in {time.perf_counter() - t0:.1f} s ({store_path.stat().st_size / 1e6:.0f} MB)"
    )
    store.close()
    return ssns, cards, names


def _flush(conn, persons: list[tuple[object, ...]], cards: list[tuple[object, ...]]) -> None:  # type: ignore[no-untyped-def]
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(
        "INSERT INTO persons(id, ssn, name, name_initials, sex, birth_date, ethnicity, doc_type, doc_number,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'resident_id', ?, ?, ?)",
        persons,
    )
    conn.executemany(
        "INSERT INTO cards(person_id, card_number, bank, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
        cards,
    )
    conn.execute("COMMIT")
    persons.clear()
    cards.clear()


def percentiles(samples: list[float]) -> tuple[float, float]:
    s = sorted(samples)
    return statistics.median(s), s[min(len(s) - 1, int(len(s) * 0.99))]


def bench_lookups(store_path: Path, keys: dict[str, list[str]], count: int) -> None:
    from offline.services.queries import search_persons
    from offline.store import Store

    store = Store.open(store_path)
    print(f"\n{'lookup':<22}{'n':>6}{'p50 ms':>10}{'p99 ms':>10}{'hits':>8}")
    for label, values in keys.items():
        if not values:
            continue
        times, hits = [], 0
        for i in range(count):
            v = values[i % len(values)]
            t = time.perf_counter()
            found = search_persons(store, v)
            times.append((time.perf_counter() - t) * 1000)
            hits += bool(found)
        p50, p99 = percentiles(times)
        print(f"{label:<22}{count:>6}{p50:>10.3f}{p99:>10.3f}{hits:>8}")


def bench_applications(store_path: Path, n: int) -> None:
    from offline.business import Operator, ServiceContext
    from offline.profiles import load_profile
    from offline.samples import sample_person
    from offline.services.applications import ApplicationInput, apply_card
    from offline.store import Store
    from sync.testing import fresh_keys

    store = Store.open(store_path)
    with store.write() as conn:
        cur = conn.execute(
            "INSERT INTO operators(username, real_name, role, password_hash, created_at)"
            " VALUES ('bench', '测试员', 'operator', 'x', '2026-01-01')"
        )
    op = Operator(int(cur.lastrowid or 0), "bench", "测试员", "operator")
    profile = load_profile("hubei")
    ctx = ServiceContext(
        store=store,
        operator=op,
        sealer=fresh_keys("4201110010010000101").sealer(),
        station_id="4201110010010000101",
        service_point="42011100100100001",
        profile=profile,
    )
    rng = random.Random(99)
    people = [sample_person(rng, province="hubei", age_range=(20, 60)) for _ in range(n)]
    t0 = time.perf_counter()
    ok = 0
    for p in people:
        try:
            apply_card(
                ctx, ApplicationInput(person=p, channel="local", mode="fast", bank=p.bank or profile.banks[0])
            )
            ok += 1
        except Exception as exc:  # a rejected sample is reported, not hidden
            print("rejected:", exc)
    dt = time.perf_counter() - t0
    print(
        f"\napplications accepted: {ok}/{n} in {dt:.2f} s = {ok / dt:.1f} per second "
        f"({dt / max(ok, 1) * 1000:.1f} ms each, synchronous=FULL, photo blob sealed)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, default=1_000_000)
    ap.add_argument("--lookups", type=int, default=2000)
    ap.add_argument("--applications", type=int, default=200)
    ap.add_argument("--db", type=Path)
    ap.add_argument("--encrypt", action="store_true", help="SQLCipher store (as init makes it)")
    args = ap.parse_args()
    path = args.db or Path(tempfile.mkdtemp()) / "bench.db"
    if path.exists():
        path.unlink()
    ssns, cards, prefixes = populate(path, args.persons, encrypt=args.encrypt)
    print("store:", "SQLCipher (encrypted)" if args.encrypt else "SQLite (cleartext)")
    rng = random.Random(3)
    initials = []
    from pypinyin import Style, lazy_pinyin

    for p in prefixes:
        initials.append("".join(x[0] for x in lazy_pinyin(p, style=Style.FIRST_LETTER)).lower())
    bench_lookups(
        path,
        {
            "ssn (exact)": ssns,
            "card number (exact)": cards,
            "name prefix (2 chars)": prefixes,
            "pinyin initials": initials,
        },
        args.lookups,
    )
    rng.shuffle(ssns)
    bench_applications(path, args.applications)


if __name__ == "__main__":
    main()
