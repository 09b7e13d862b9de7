"""Fuzz campaign: arbitrary input everywhere the station reads input it does not control.

Why: operators type anything (and paste from Excel), cards answer anything (worn chips,
foreign cards), the link delivers anything (a captive portal, a truncated frame, an
attacker), and a county auditor over SSH presses keys the designers never thought of. Each
target has a contract about what it may raise; the campaign checks the contract holds:

| target                                       | contract on arbitrary input                    |
|----------------------------------------------|------------------------------------------------|
| `offline.validation` validators              | a list of `Problem`s, never an exception       |
| `devices` codecs, APDU/response/ATR parsers  | a value or a `CardError`, nothing else         |
| the emulated card (`EmulatedCard.process`)   | a status word for every command APDU           |
| `sync.envelope.open_envelope`                | an `Opened` or an `EnvelopeError` with a known code |
| batch CSV parser (`parse_csv_bytes`)         | rows or a `BatchFileError`                     |
| the gateway API, from its own `/openapi.json`| never a 5xx                                    |
| the TUI (`tui.app.make_app`) under random keys | no unhandled exception                        |

Run the long form:  .venv/bin/python -m bench.campaigns.fuzz [--examples N] [--keys N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import struct
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

STATION_ID = "4301210010010000701"


@dataclass
class FuzzResult:
    name: str
    cases: int = 0
    failures: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        row: dict[str, Any] = {
            "target": self.name,
            "cases": self.cases,
            "failures": len(self.failures),
            "failure_details": self.failures[:5],
        }
        return row


def _settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )


def run_property(
    name: str, examples: int, strategy: st.SearchStrategy[Any], check: Callable[[Any], None]
) -> FuzzResult:
    """Run `check` on `examples` generated values; a broken contract is recorded with its minimal example."""
    result = FuzzResult(name)

    @_settings(examples)
    @given(strategy)
    def prop(value: Any) -> None:
        result.cases += 1
        check(value)

    try:
        prop()
    except Exception as exc:  # hypothesis re-raises the shrunk failure
        result.failures.append(f"{type(exc).__name__}: {str(exc)[:300]}")
    return result


class ContractBroken(AssertionError):
    """A target raised something its contract does not allow."""


def only(allowed: tuple[type[BaseException], ...], fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
    try:
        return fn(*args, **kw)
    except allowed:
        return None
    except Exception as exc:
        raise ContractBroken(
            f"{getattr(fn, '__name__', fn)}{args!r:.200} raised {type(exc).__name__}: {exc}"
        ) from exc


# --------------------------------------------------------------------------- validators


TEXT = st.text(max_size=40)
WILD = st.one_of(
    TEXT,
    st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), max_size=12),
    st.text(alphabet="0123456789Xx -", max_size=22),
    st.sampled_from(["", " ", "\u3000", "\x00", "长期", "9999-99-99", "2026-02-29", "0000-00-00"]),
)


def _problems(value: Any) -> None:
    from offline.errors import Problem

    if not isinstance(value, list) or not all(isinstance(p, Problem) for p in value):
        raise ContractBroken(f"validator returned {value!r:.200}")
    for p in value:
        if not p.rule or not p.message:
            raise ContractBroken(f"problem without rule or message: {p!r}")


def fuzz_validators(examples: int) -> list[FuzzResult]:
    """Every validator on arbitrary strings and bytes: Problems only."""
    from offline import codes
    from offline.profiles import load_profile
    from offline.validation import (
        PersonInput,
        RepresentativeInput,
        check_new_pin,
        check_photo,
        name_problems,
        representative_problems,
        validate_card_number,
        validate_person,
        validate_ssn,
    )
    from offline.validation.contact import address_problems, phone_problems
    from offline.validation.documents import (
        doc_number_problems,
        doc_type_problems,
        nationality_problems,
        validity_problems,
    )

    today = date(2026, 3, 2)
    profile = load_profile("hunan")
    doc_types = st.one_of(st.sampled_from(sorted(codes.DOC_TYPES)), TEXT)
    results = []

    def simple(v: tuple[str, str, str]) -> None:
        a, b, c = v
        _problems(validate_ssn(a, today=today))
        _problems(validate_card_number(a))
        _problems(name_problems(a, mainland=bool(len(b) % 2)))
        _problems(phone_problems(a, required=True))
        _problems(phone_problems(a, required=False, international=True))
        _problems(address_problems(a, field="household_address", required=True))
        _problems(doc_type_problems(a))
        _problems(doc_number_problems(b, a, today=today))
        _problems(validity_problems(b, a, c, today=today))
        _problems(nationality_problems(b, c))
        for problems, warnings in (
            check_new_pin(a, b, birth_date=None, phone=c),
            check_new_pin(a, a, birth_date=today, phone=c, initial_pin="666666"),
        ):
            _problems(problems)
            if not all(isinstance(w, str) and w for w in warnings):
                raise ContractBroken(f"PIN warnings not texts: {warnings!r}")

    results.append(
        run_property("validators.fields", examples, st.tuples(WILD, st.one_of(doc_types, WILD), WILD), simple)
    )

    person = st.builds(
        PersonInput,
        name=WILD,
        sex=st.one_of(st.sampled_from(["1", "2", "9"]), TEXT),
        ethnicity=WILD,
        nationality=WILD,
        birth_date=WILD,
        occupation=WILD,
        doc_type=doc_types,
        doc_number=WILD,
        doc_valid_from=WILD,
        doc_valid_to=WILD,
        household_address=WILD,
        residence_address=WILD,
        phone=WILD,
        mailing_address=WILD,
        bank=WILD,
        photo=st.one_of(st.none(), st.binary(max_size=600)),
        guardian=st.one_of(
            st.none(),
            st.builds(
                RepresentativeInput,
                name=WILD,
                doc_type=doc_types,
                doc_number=WILD,
                relation=WILD,
                unit_name=WILD,
                proof=WILD,
            ),
        ),
        agent=st.none(),
        also_holds_residence_permit=st.booleans(),
        full_capacity=st.booleans(),
    )

    def whole(p: Any) -> None:
        _problems(validate_person(p, today=today, profile=profile))
        _problems(validate_person(p, today=today, profile=profile, for_application=False))
        if p.guardian is not None:
            _problems(
                representative_problems(
                    p.guardian, role="guardian", today=today, principal_number=p.doc_number
                )
            )

    results.append(run_property("validators.person", examples, person, whole))
    results.append(
        run_property(
            "validators.photo",
            max(20, examples // 5),
            st.tuples(st.binary(max_size=4000), st.integers(-5, 120)),
            lambda v: _problems(check_photo(v[0], age_years=v[1])),
        )
    )
    return results


# --------------------------------------------------------------------------- devices


def fuzz_devices(examples: int) -> list[FuzzResult]:
    """Codecs and parsers of the card layer: values or CardError; the emulator answers every APDU."""
    from devices import codec
    from devices.apdu import Apdu, Response
    from devices.atr import parse_atr
    from devices.emulator import EmulatedCard, make_kind
    from devices.layout import ITEMS
    from devices.records import decode_card, decode_item
    from offline.protocols import CardError

    allowed = (CardError,)

    def parsers(raw: bytes) -> None:
        only(allowed, codec.decode_cn, raw)
        only(allowed, codec.decode_an, raw)
        only(allowed, codec.decode_record, raw)
        only(allowed, codec.decode_record, raw, 0x08)
        only(allowed, codec.iter_ber_tlv, raw)
        only(allowed, codec.find_ber, raw, (0x6F, 0x84))
        only(allowed, codec.decode_pin, raw)
        only(allowed, Apdu.parse, raw)
        only(allowed, parse_atr, raw)
        resp = only(allowed, Response.parse, raw)
        if resp is not None:
            only(allowed, resp.check)
            only(allowed, resp.check, "pin")
        for item in ITEMS:
            only(allowed, decode_item, item, raw)

    def encoders(v: tuple[str, int]) -> None:
        text, n = v
        only(allowed, codec.encode_cn, text, n)
        only(allowed, codec.encode_an, text, n)
        only(allowed, codec.encode_pin, text)

    def records(v: tuple[dict[str, bytes], dict[str, bytes], str]) -> None:
        only(allowed, decode_card, v[0], v[1], v[2], emulated=True, test_keys=True)

    item_keys = [i.key for i in ITEMS]
    results = [
        run_property("devices.parsers", examples, st.binary(max_size=300), parsers),
        run_property("devices.encoders", examples, st.tuples(TEXT, st.integers(0, 40)), encoders),
        run_property(
            "devices.decode_card",
            examples,
            st.tuples(
                st.dictionaries(st.sampled_from(item_keys), st.binary(max_size=40)),
                st.dictionaries(st.sampled_from(item_keys), st.binary(max_size=40)),
                TEXT,
            ),
            records,
        ),
    ]
    card = EmulatedCard(make_kind("formal-v3"))

    def emulator(raw: bytes) -> None:
        answer = card.process(raw)
        if len(answer) < 2:
            raise ContractBroken(f"no status word for {raw.hex()}")

    apdus = st.one_of(
        st.binary(max_size=270),
        st.builds(
            lambda h, d: h + bytes([len(d)]) + d, st.binary(min_size=4, max_size=4), st.binary(max_size=255)
        ),
        st.builds(
            lambda ins, p, d: bytes([0x00, ins]) + p + bytes([len(d)]) + d,
            st.sampled_from([0xA4, 0xB2, 0xDC, 0x20, 0x24, 0x2C, 0x84, 0x82, 0x88, 0xC0, 0x5E]),
            st.binary(min_size=2, max_size=2),
            st.binary(max_size=40),
        ),
    )
    results.append(run_property("devices.emulator_apdus", examples, apdus, emulator))
    return results


# --------------------------------------------------------------------------- envelopes


def fuzz_envelopes(examples: int) -> list[FuzzResult]:
    """open_envelope on random and mutated bytes: Opened (only for the untouched one) or EnvelopeError."""
    from offline.protocols import EnvelopeHeader
    from sync.envelope import EnvelopeError
    from sync.testing import fresh_keys
    from sync.wire import REJECTION_CODES

    keys = fresh_keys(STATION_ID)
    sealer = keys.sealer()
    valid = [
        sealer.seal(EnvelopeHeader(STATION_ID, i + 1, f"{i + 1:032x}", kind), payload, compress=compress)
        for i, (kind, payload, compress) in enumerate(
            [
                ("business", json.dumps({"receipt_no": "1" * 31, "name": "张三"}).encode(), True),
                ("blob", bytes(range(256)) * 8, False),
            ]
        )
    ]

    def check(data: bytes) -> None:
        try:
            keys.open(data)
        except EnvelopeError as exc:
            if exc.code not in REJECTION_CODES:
                raise ContractBroken(f"unknown rejection code {exc.code}") from exc
            return
        except Exception as exc:
            raise ContractBroken(f"open_envelope raised {type(exc).__name__}: {exc}") from exc
        if data not in valid:
            raise ContractBroken("a modified envelope was accepted")

    def mutate(v: tuple[int, list[tuple[int, int]], int, bytes]) -> bytes:
        which, flips, cut, extra = v
        data = bytearray(valid[which % len(valid)])
        for pos, byte in flips:
            data[pos % len(data)] = byte
        if cut:
            data = data[: cut % (len(data) + 1)]
        return bytes(data) + extra

    mutated = st.builds(
        mutate,
        st.tuples(
            st.integers(0, 1),
            st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=4),
            st.integers(0, 10**6),
            st.binary(max_size=8),
        ),
    )
    framing = st.builds(
        lambda v, s, h, rest: b"CS" + bytes([v, s]) + struct.pack(">H", len(h)) + h + rest,
        st.integers(0, 3),
        st.integers(0, 3),
        st.binary(max_size=120),
        st.binary(max_size=200),
    )
    return [
        run_property("envelope.random", examples, st.binary(max_size=400), check),
        run_property("envelope.mutated", examples, st.one_of(mutated, st.sampled_from(valid)), check),
        run_property("envelope.framing", examples, framing, check),
    ]


# --------------------------------------------------------------------------- batch CSV


def fuzz_batch_csv(examples: int) -> list[FuzzResult]:
    """parse_csv_bytes on random files and on the template with random cells: rows or BatchFileError."""
    from offline.services.batch import CSV_HEADER, BatchFileError, parse_csv_bytes

    base = Path(tempfile.mkdtemp(prefix="fuzz-csv-"))
    header = ",".join(CSV_HEADER)

    def check(data: bytes) -> None:
        only((BatchFileError,), parse_csv_bytes, data, base_dir=base)

    cells = st.lists(
        st.lists(
            st.one_of(WILD, st.just('"'), st.just("a,b"), st.just("../../etc/passwd")),
            max_size=len(CSV_HEADER) + 2,
        ),
        max_size=6,
    )
    encodings = st.sampled_from(["utf-8", "utf-8-sig", "gb18030"])

    def build(v: tuple[list[list[str]], str]) -> bytes:
        rows, enc = v
        lines = [header] + [",".join(r) for r in rows]
        return "\r\n".join(lines).encode(enc, errors="replace")

    return [
        run_property("batch_csv.random", examples, st.binary(max_size=600), check),
        run_property("batch_csv.template", examples, st.builds(build, st.tuples(cells, encodings)), check),
    ]


# --------------------------------------------------------------------------- gateway API


def fuzz_gateway(examples: int) -> FuzzResult:
    """Requests generated from the gateway's own /openapi.json (and valid/mutated envelopes): no 5xx."""
    from starlette.testclient import TestClient

    from offline.protocols import EnvelopeHeader
    from offline.store import Store
    from sync import keys as skeys
    from sync.gateway.app import create_app
    from sync.keys import StationIdentity, sign_request

    tmp = Path(tempfile.mkdtemp(prefix="fuzz-gw-"))
    gw = create_app(tmp / "gateway.db", production_days=0.0)
    priv, pub, kid = skeys.new_station_key()
    bundle = gw.keyring.register(STATION_ID, pub, gw.now())
    store = Store.open(tmp / "station.db")
    skeys.pin_bundle(store, bundle)
    skeys.save_identity(store, station_id=STATION_ID, private_key=priv, url="http://testserver")
    sealer = skeys.sealer_for(store)
    ident = StationIdentity(STATION_ID, kid, priv, pub)
    envelopes = [
        sealer.seal(
            EnvelopeHeader(STATION_ID, i, f"{i:032x}", "business"),
            json.dumps({"receipt_no": f"{i:031d}", "item": "query"}).encode(),
        )
        for i in range(1, 4)
    ]
    client = TestClient(gw.app, raise_server_exceptions=False)
    doc = client.get("/openapi.json").json()
    operations = [
        (path, method, op, item.get("parameters", []))
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method != "parameters"
    ]
    result = FuzzResult("gateway.openapi")

    scalar = st.one_of(
        st.text(max_size=30),
        st.integers(-(10**12), 10**12).map(str),
        st.sampled_from(["", "0", "-1", "18446744073709551616", "%00", "../", "null"]),
    )
    json_values = st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20)),
        lambda children: st.one_of(
            st.lists(children, max_size=4), st.dictionaries(st.text(max_size=10), children, max_size=4)
        ),
        max_leaves=10,
    )

    def schema_object(op: dict[str, Any]) -> st.SearchStrategy[Any]:
        content = op.get("requestBody", {}).get("content", {})
        schema = content.get("application/json", {}).get("schema", {})
        ref = schema.get("$ref", "")
        if ref:
            schema = doc["components"]["schemas"][ref.rsplit("/", 1)[-1]]
        props = schema.get("properties", {})
        if not props:
            return json_values
        return st.fixed_dictionaries({k: st.one_of(scalar, json_values) for k in props})

    def frames(parts: list[bytes]) -> bytes:
        return b"".join(struct.pack(">I", len(p)) + p for p in parts)

    def bodies(op: dict[str, Any]) -> st.SearchStrategy[bytes]:
        env = st.sampled_from(envelopes)
        flipped = st.builds(
            lambda e, i, b: e[: i % len(e)] + bytes([b]) + e[i % len(e) + 1 :],
            env,
            st.integers(0, 10**5),
            st.integers(0, 255),
        )
        return st.one_of(
            st.binary(max_size=300),
            json_values.map(lambda v: json.dumps(v).encode()),
            schema_object(op).map(lambda v: json.dumps(v).encode()),
            st.lists(st.one_of(env, flipped, st.binary(max_size=60)), max_size=3).map(frames),
            st.builds(
                lambda n, tail: struct.pack(">I", n) + tail, st.integers(0, 2**32 - 1), st.binary(max_size=20)
            ),
            env,
        )

    @st.composite
    def requests(draw: st.DrawFn) -> tuple[str, str, dict[str, str], bytes]:
        path, method, op, shared = draw(st.sampled_from(operations))
        params = shared + op.get("parameters", [])
        url = path
        query: list[str] = []
        headers: dict[str, str] = {}
        for p in params:
            value = draw(st.one_of(scalar, st.just(f"{1:032x}"), st.just("0")))
            if p["in"] == "path":
                url = url.replace("{" + p["name"] + "}", quote(value, safe="") or "x")
            elif p["in"] == "query" and draw(st.booleans()):
                query.append(f"{p['name']}={quote(value, safe='')}")
            elif p["in"] == "header" and draw(st.booleans()):
                headers[p["name"]] = "".join(ch for ch in value if 32 <= ord(ch) < 127)
        target = url + ("?" + "&".join(query) if query else "")
        body = draw(bodies(op)) if "requestBody" in op or draw(st.booleans()) else b""
        auth = draw(st.sampled_from(["signed", "none", "garbage", "old"]))
        if auth == "signed":
            import hashlib

            digest = hashlib.sha256(body).hexdigest() if body else "-"
            headers["X-Station-Auth"] = sign_request(ident, method.upper(), target, digest, int(time.time()))
        elif auth == "garbage":
            headers["X-Station-Auth"] = draw(
                st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=60)
            )
        elif auth == "old":
            headers["X-Station-Auth"] = sign_request(ident, method.upper(), target, "-", 1)
        return method.upper(), target, headers, body

    @_settings(examples)
    @given(requests())
    def prop(req: tuple[str, str, dict[str, str], bytes]) -> None:
        method, target, headers, body = req
        result.cases += 1
        resp = client.request(method, target, headers=headers, content=body)
        if resp.status_code >= 500:
            raise ContractBroken(f"{method} {target} -> {resp.status_code}: {resp.text[:200]}")

    try:
        prop()
    except Exception as exc:
        result.failures.append(f"{type(exc).__name__}: {str(exc)[:400]}")
    finally:
        client.close()
        store.close()
    return result


# --------------------------------------------------------------------------- TUI random keys


KEYS: tuple[str, ...] = (
    tuple("abcdefghijklmnopqrstuvwxyz0123456789")
    + tuple("张王李赵社保卡申领挂失")
    + tuple(f"f{i}" for i in range(1, 13))
    + (
        "tab",
        "shift+tab",
        "enter",
        "escape",
        "backspace",
        "delete",
        "space",
        "up",
        "down",
        "left",
        "right",
        "home",
        "end",
        "pageup",
        "pagedown",
    )
    + tuple(f"ctrl+{c}" for c in "abdefghijklnoprstuvwxy")  # not ctrl+q / ctrl+c (quit), ctrl+z (suspend)
)
PASSWORD = "fuzz-pass-7"


def _tui_services(root: Path) -> Any:
    from cardstation.demo_setup import in_process_card_provider
    from offline.operators import insert_operator
    from offline.profiles import load_profile
    from offline.station import init_station
    from offline.store import Store
    from sync.testing import fresh_keys
    from tui.context import AppServices

    store = Store.open(root / "station.db")
    now = __import__("datetime").datetime.now().astimezone()
    info = init_station(
        store,
        province="hunan",
        service_point=STATION_ID[:17],
        admin_username="fzadmin",
        admin_real_name="欧阳娜娜",
        admin_password="fuzz-admin-7",
        now=now,
    )
    with store.write() as conn:
        insert_operator(
            conn, username="fzop", real_name="王小红", role="operator", password=PASSWORD, now=now, by_id=None
        )
    return AppServices(
        store=store,
        station=info,
        profile=load_profile("hunan"),
        sealer=fresh_keys(info.station_id).sealer(),
        card_provider=in_process_card_provider(root / "card.json"),
        sync_engine=None,
        reader_label="模拟读卡器（进程内） 测试密钥",
        demo=False,
        origin="tty1",
    )


def _key_event(key: str) -> Any:
    """The Key event a terminal driver posts for `key` (a character, or a named key)."""
    from textual import events

    return events.Key(key, key if len(key) == 1 else None)


async def _random_keys(services: Any, keys: int, seed: int, chunk: int) -> tuple[int, list[str]]:
    from tui.app import make_app

    rng = random.Random(seed)
    sent = 0
    failures: list[str] = []
    while sent < keys:
        app = make_app(services)
        failure = ""
        recent: list[str] = []
        try:
            async with app.run_test(size=(80, 24)) as pilot:
                deadline = time.monotonic() + 10
                while type(app.screen).__name__ != "LoginScreen" and time.monotonic() < deadline:
                    await pilot.pause(0.05)
                await pilot.press(*"fzop", "enter", *PASSWORD, "enter")
                await pilot.pause(0.2)
                budget = min(chunk, keys - sent)
                while budget > 0 and app.return_code is None:
                    # Keys arrive in bursts over a slow SSH link: post 1-8 keys, then let the app settle.
                    burst = [rng.choice(KEYS) for _ in range(min(budget, rng.randint(1, 8)))]
                    budget -= len(burst)
                    sent += len(burst)
                    recent = [*recent[-12:], *burst][-12:]
                    for key in burst:
                        app.post_message(_key_event(key))
                    await pilot.pause()
                await pilot.pause(0.1)
        except Exception as exc:  # an unhandled exception inside the app surfaces here
            failure = f"{type(exc).__name__}: {str(exc)[:240]}"
        if not failure and app.return_code not in (None, 0):
            failure = f"app exited with {app.return_code}"
        if failure:
            failures.append(f"after {sent} keys (last: {' '.join(recent)}): {failure}")
    return sent, failures


def fuzz_tui(keys: int, *, seed: int = 1, chunk: int = 300) -> FuzzResult:
    """`keys` random keystrokes to the real app (logged in, real store, in-process emulator)."""
    import logging

    logging.getLogger("devices").setLevel(logging.ERROR)
    result = FuzzResult("tui.random_keys")
    with tempfile.TemporaryDirectory() as tmp:
        services = _tui_services(Path(tmp))
        try:
            sent, failures = asyncio.run(_random_keys(services, keys, seed, chunk))
        finally:
            services.store.close()
    result.cases, result.failures = sent, failures
    return result


# --------------------------------------------------------------------------- main


def run_all(examples: int, keys: int) -> list[FuzzResult]:
    results: list[FuzzResult] = []
    results += fuzz_validators(examples)
    results += fuzz_devices(examples)
    results += fuzz_envelopes(examples)
    results += fuzz_batch_csv(examples)
    results.append(fuzz_gateway(examples))
    if keys:
        results.append(fuzz_tui(keys))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fuzz campaign")
    parser.add_argument("--examples", type=int, default=2000, help="generated inputs per target")
    parser.add_argument("--keys", type=int, default=5000, help="random keystrokes to the TUI")
    args = parser.parse_args(argv)
    started = time.monotonic()
    results = run_all(args.examples, args.keys)
    rows = [r.to_dict() for r in results]
    print(
        json.dumps(
            {"targets": rows, "seconds": round(time.monotonic() - started, 1)}, ensure_ascii=False, indent=2
        )
    )
    return 0 if all(not r.failures for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
