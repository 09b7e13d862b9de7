"""The gateway's HTTP API (Starlette, served by uvicorn). OpenAPI document: `sync.gateway.openapi`.

Malformed input is always answered 4xx with a reason code, never 5xx (ValueError, KeyError,
TypeError and friends from parsing map to 400 'malformed'); a 5xx means the gateway itself is
in trouble, which stations treat as "server down, back off".
"""

from __future__ import annotations

import hashlib
import json
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sync.envelope import peek_header
from sync.gateway import intake, production, verify
from sync.gateway.db import GatewayDB
from sync.gateway.keyring import Keyring, RegistryError
from sync.gateway.openapi import OPENAPI
from sync.suite import DEFAULT_SUITE, SuiteError, unb64

SERVICE = "cardstation-gateway"
FRAME = struct.Struct(">I")
AUTH_SKEW_SECONDS = 24 * 3600  # station clocks drift while offline for days
MAX_BATCH_FRAMES = 500


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class GatewayConfig:
    db_path: Path
    production_days: float = 5.0
    clock: Callable[[], datetime] = field(default=_utcnow)
    max_envelope: int = 8 * 1024 * 1024


class Gateway:
    """The application object: store, keyring, config; `.app` is the ASGI app."""

    def __init__(self, config: GatewayConfig) -> None:
        self.config = config
        self.db = GatewayDB(config.db_path)
        self.keyring = Keyring(self.db)
        self.keyring.ensure_keys(config.clock())
        self.intake_config = intake.IntakeConfig(config.production_days, config.max_envelope)
        routes = [
            Route("/v1/ping", self.ping, methods=["GET"]),
            Route("/v1/enrol", self.enrol, methods=["POST"]),
            Route("/v1/keys", self.keys, methods=["GET"]),
            Route("/v1/envelopes", self.envelopes, methods=["POST"]),
            Route("/v1/blobs/{envelope_id}", self.blob_head, methods=["HEAD"]),
            Route("/v1/blobs/{envelope_id}", self.blob_patch, methods=["PATCH"]),
            Route("/v1/updates", self.updates, methods=["GET"]),
            Route("/v1/stations/rotate", self.rotate, methods=["POST"]),
            Route("/v1/stats", self.stats, methods=["GET"]),
            Route("/openapi.json", self.openapi, methods=["GET"]),
            *verify.routes(self),
        ]
        handlers: dict[Any, Any] = {
            ValueError: _malformed,
            KeyError: _malformed,
            TypeError: _malformed,
            UnicodeDecodeError: _malformed,
            struct.error: _malformed,
        }
        self.app = Starlette(routes=routes, exception_handlers=handlers)

    def now(self) -> datetime:
        return self.config.clock()

    # ------------------------------------------------------------------ public endpoints

    async def ping(self, request: Request) -> Response:
        nonce = request.query_params.get("nonce", "")[:64]
        return JSONResponse(
            {"service": SERVICE, "version": 1, "nonce": nonce, "time": self.now().isoformat()}
        )

    async def openapi(self, request: Request) -> Response:
        return JSONResponse(OPENAPI)

    async def keys(self, request: Request) -> Response:
        return JSONResponse(await run_in_threadpool(self.keyring.key_set, self.now()))

    async def stats(self, request: Request) -> Response:
        def count() -> dict[str, Any]:
            rows = self.db.query("SELECT code, COUNT(*) AS n FROM events GROUP BY code")
            envelopes = self.db.one("SELECT COUNT(*) AS n FROM envelopes")
            return {
                "events": {r["code"]: r["n"] for r in rows},
                "envelopes": envelopes["n"] if envelopes else 0,
            }

        return JSONResponse(await run_in_threadpool(count))

    async def enrol(self, request: Request) -> Response:
        body = await _json_body(request)
        if not isinstance(body, dict):
            raise ValueError("object expected")
        try:
            bundle = await run_in_threadpool(
                self.keyring.enrol,
                str(body["token"]),
                str(body["station_id"]),
                unb64(str(body["public_key"])),
                self.now(),
            )
        except RegistryError as exc:
            return _error(403, exc.code, str(exc))
        return JSONResponse(bundle)

    # ------------------------------------------------------------------ uploads

    async def envelopes(self, request: Request) -> Response:
        """A batch: frames of u32 length + envelope, each processed as soon as it is complete.

        A link that drops mid-batch leaves the complete envelopes stored and acknowledged; the
        station learns their acknowledgements on its retry (a repeat returns the stored ack).
        """
        results: list[dict[str, Any]] = []
        buf = bytearray()
        try:
            async for chunk in request.stream():
                buf.extend(chunk)
                while len(buf) >= FRAME.size:
                    (n,) = FRAME.unpack_from(buf, 0)
                    if n > self.config.max_envelope or len(results) >= MAX_BATCH_FRAMES:
                        return _error(413, "malformed", "envelope or batch too large")
                    if len(buf) < FRAME.size + n:
                        break
                    data = bytes(buf[FRAME.size : FRAME.size + n])
                    del buf[: FRAME.size + n]
                    results.append(
                        await run_in_threadpool(
                            intake.process, self.db, self.keyring, data, self.now(), self.intake_config
                        )
                    )
        except ClientDisconnect:
            return Response(status_code=400)
        if buf:
            results.append({"envelope_id": "", "status": intake.REJECTED, "code": "malformed"})
        return JSONResponse({"results": results})

    async def blob_head(self, request: Request) -> Response:
        eid = _envelope_id(request)

        def look() -> Response:
            done = self.db.one("SELECT size FROM envelopes WHERE envelope_id = ?", (eid,))
            if done is not None:
                return Response(
                    headers={
                        "Upload-Offset": str(done["size"]),
                        "Upload-Length": str(done["size"]),
                        "Envelope-State": "stored",
                    }
                )
            part = self.db.one("SELECT total, length(data) AS n FROM partials WHERE envelope_id = ?", (eid,))
            if part is None:
                return Response(status_code=404, headers={"Upload-Offset": "0"})
            return Response(headers={"Upload-Offset": str(part["n"]), "Upload-Length": str(part["total"])})

        return await run_in_threadpool(look)

    async def blob_patch(self, request: Request) -> Response:
        """tus-style append: body continues the envelope at Upload-Offset; complete → processed.

        The body is consumed before any database lookup: uvicorn drops body bytes it buffered
        but the app had not read yet when the client disconnects, and those are exactly the
        bytes a resume would otherwise have to send again.
        """
        eid = _envelope_id(request)
        offset = int(request.headers["upload-offset"])
        total = int(request.headers["upload-length"])
        if not 0 < total <= self.config.max_envelope or not 0 <= offset <= total:
            return _error(400, "malformed", "bad Upload-Offset/Upload-Length")
        body = bytearray()
        disconnected = False
        try:
            async for chunk in request.stream():
                body.extend(chunk)
                if offset + len(body) > total:
                    return _error(400, "malformed", "more bytes than Upload-Length")
        except ClientDisconnect:
            disconnected = True
        stored = await run_in_threadpool(
            self.db.one, "SELECT ack FROM envelopes WHERE envelope_id = ?", (eid,)
        )
        if stored is not None:
            return JSONResponse({"envelope_id": eid, "status": intake.DUPLICATE, "ack": stored["ack"]})
        prior = await run_in_threadpool(self._partial, eid)
        have = b"" if prior is None or prior[0] != total else prior[1]
        if offset != len(have):
            return Response(status_code=409, headers={"Upload-Offset": str(len(have))})
        buf = have + bytes(body)
        if len(buf) < total:
            head = peek_header(buf) if len(buf) >= 128 else None
            if len(buf) >= 128 and (head is None or head.envelope_id != eid):
                return _error(400, "malformed", "not the envelope named in the path")
            if body:
                await run_in_threadpool(self._save_partial, eid, total, buf)
            if disconnected:
                return Response(status_code=400)
            return Response(status_code=204, headers={"Upload-Offset": str(len(buf))})
        result = await run_in_threadpool(
            intake.process, self.db, self.keyring, buf, self.now(), self.intake_config
        )
        if result["status"] == intake.REJECTED or result["envelope_id"] != eid:
            await run_in_threadpool(self._save_partial, eid, total, b"")
        return JSONResponse(result)

    def _partial(self, eid: str) -> tuple[int, bytes] | None:
        row = self.db.one("SELECT total, data FROM partials WHERE envelope_id = ?", (eid,))
        return None if row is None else (int(row["total"]), bytes(row["data"]))

    def _save_partial(self, eid: str, total: int, data: bytes) -> None:
        with self.db.write() as conn:
            if data:
                conn.execute(
                    "INSERT INTO partials(envelope_id, total, data, updated_at) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT(envelope_id) DO UPDATE SET total = excluded.total, data = excluded.data,"
                    " updated_at = excluded.updated_at",
                    (eid, total, data, self.now().isoformat()),
                )
            else:
                conn.execute("DELETE FROM partials WHERE envelope_id = ?", (eid,))

    # ------------------------------------------------------------------ authenticated station calls

    def _authenticate(self, request: Request, body: bytes) -> tuple[str, str] | Response:
        """Check X-Station-Auth; (station id, key id) or an error response."""
        raw = request.headers.get("x-station-auth", "")
        parts = raw.split(";")
        if len(parts) != 4 or not parts[2].isdigit():
            return _error(401, "auth", "missing or malformed X-Station-Auth")
        station_id, kid, ts, sig = parts
        if abs(time.time() - int(ts)) > AUTH_SKEW_SECONDS:  # wall clock, not the simulated one
            return _error(401, "clock_skew", "request time too far from the gateway's clock")
        keys = self.keyring.station_keys(station_id)
        if keys is None:
            return _error(403, "unknown_station", station_id)
        key = next((k for k in keys if k.key_id == kid), None)
        if key is None or key.status == "revoked":
            return _error(
                403, "revoked_station" if key is not None or keys else "unknown_station", station_id
            )
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        digest = hashlib.sha256(body).hexdigest() if body else "-"
        msg = f"{request.method}\n{target}\n{digest}\n{ts}\n{station_id}".encode()
        try:
            DEFAULT_SUITE.verify(key.public_key, unb64(sig), msg)
        except (SuiteError, ValueError):
            return _error(401, "auth", "bad request signature")
        return station_id, kid

    async def updates(self, request: Request) -> Response:
        who = await run_in_threadpool(self._authenticate, request, b"")
        if isinstance(who, Response):
            return who
        cursor = request.query_params.get("after", "")[:64]
        limit = max(1, min(200, int(request.query_params.get("limit", "50"))))
        page = await run_in_threadpool(
            production.updates_after, self.db, self.keyring.downlink(), who[0], cursor, limit, self.now()
        )
        return JSONResponse(page)

    async def rotate(self, request: Request) -> Response:
        body = await request.body()
        who = await run_in_threadpool(self._authenticate, request, body)
        if isinstance(who, Response):
            return who
        doc = json.loads(body)
        try:
            new_kid = await run_in_threadpool(
                self.keyring.rotate_station_key, who[0], who[1], unb64(str(doc["public_key"])), self.now()
            )
        except RegistryError as exc:
            return _error(400, exc.code, str(exc))
        return JSONResponse({"station_id": who[0], "key_id": new_kid})


def _envelope_id(request: Request) -> str:
    eid = str(request.path_params["envelope_id"])
    if len(eid) != 32 or any(c not in "0123456789abcdef" for c in eid):
        raise ValueError("envelope id must be 32 lowercase hex digits")
    return eid


async def _json_body(request: Request) -> Any:
    body = await request.body()
    if len(body) > 64 * 1024:
        raise ValueError("body too large")
    return json.loads(body)


def _error(status: int, code: str, detail: str) -> JSONResponse:
    return JSONResponse({"error": code, "detail": detail}, status_code=status)


async def _malformed(request: Request, exc: Exception) -> Response:
    return _error(400, "malformed", type(exc).__name__)


def create_app(
    db_path: str | Path, *, production_days: float = 5.0, clock: Callable[[], datetime] | None = None
) -> Gateway:
    return Gateway(GatewayConfig(Path(db_path), production_days, clock or _utcnow))
