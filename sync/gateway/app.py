"""The gateway's HTTP API (Starlette, served by uvicorn). OpenAPI document: `sync.gateway.openapi`.

Malformed input is always answered 4xx with a reason code, never 5xx (ValueError, KeyError,
TypeError and friends from parsing map to 400 'malformed'); a 5xx means the gateway itself is
in trouble, which stations treat as "server down, back off".

Nothing unauthenticated can make the gateway hold or store much: every route has a body limit
enforced while reading (`limits.BodyLimit`), station calls are authenticated from their headers
before their body is read, blob partials belong to a station (`blobs`), refused frames from one
client are rate-limited and outcomes are rolled up per hour (`db.count_event`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sync.gateway import blobs, intake, production, snapshot, verify
from sync.gateway.db import GatewayStore, Lock
from sync.gateway.keyring import ROTATION_OVERLAP, Keyring, RegistryError
from sync.gateway.limits import BodyLimit, BodyTooLarge, refused_frames_limiter
from sync.gateway.openapi import OPENAPI
from sync.gateway.pgdb import is_postgres_url, open_gateway_db
from sync.suite import SUITES, SuiteError, get_suite, unb64
from sync.wire import AUTH_HEADER, Endpoint, Reason, UploadStatus

SERVICE = "cardstation-gateway"
FRAME = struct.Struct(">I")
AUTH_SKEW_SECONDS = 24 * 3600  # station clocks drift while offline for days
MAX_BATCH_FRAMES = 500
JSON_LIMIT = 64 * 1024
ADMIN_TOKEN_ENV = "CARDSTATION_GATEWAY_ADMIN_TOKEN"


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class GatewayConfig:
    """`db_path`: the SQLite file, or a `postgresql://` URL (then `kek_path` names the local key file)."""

    db_path: Path | str
    production_days: float = 5.0
    clock: Callable[[], datetime] = field(default=_utcnow)
    max_envelope: int = 8 * 1024 * 1024
    rotation_overlap: timedelta = ROTATION_OVERLAP
    kek_path: Path | None = None


class Gateway:
    """The application object: store, keyring, config; `.app` is the ASGI app."""

    def __init__(self, config: GatewayConfig) -> None:
        self.config = config
        self.db: GatewayStore = open_gateway_db(config.db_path, kek_path=config.kek_path)
        self.keyring = Keyring(self.db, config.clock, rotation_overlap=config.rotation_overlap)
        # N PostgreSQL workers share one allowance per client; one SQLite worker keeps it in memory.
        self.refused = refused_frames_limiter(self.db, shared=is_postgres_url(config.db_path))
        self.keyring.ensure_keys(config.clock())
        self.intake_config = intake.IntakeConfig(config.production_days, config.max_envelope)
        routes = [
            Route(Endpoint.PING, self.ping, methods=["GET"]),
            Route(Endpoint.ENROL, self.enrol, methods=["POST"]),
            Route(Endpoint.KEYS, self.keys, methods=["GET"]),
            Route(Endpoint.ENVELOPES, self.envelopes, methods=["POST"]),
            Route(Endpoint.BLOBS + "/{envelope_id}", self.blob_head, methods=["HEAD"]),
            Route(Endpoint.BLOBS + "/{envelope_id}", self.blob_patch, methods=["PATCH"]),
            Route(Endpoint.UPDATES, self.updates, methods=["GET"]),
            Route(Endpoint.ROTATE, self.rotate, methods=["POST"]),
            Route(Endpoint.STATS, self.stats, methods=["GET"]),
            Route("/openapi.json", self.openapi, methods=["GET"]),
            Route("/v1/roster/snapshot", self.roster_meta, methods=["GET"]),
            Route("/v1/roster/snapshot/{snapshot_id}", self.roster_chunk, methods=["GET"]),
            *verify.routes(self),
        ]
        handlers: dict[Any, Any] = {
            ValueError: _malformed,
            KeyError: _malformed,
            TypeError: _malformed,
            UnicodeDecodeError: _malformed,
            struct.error: _malformed,
            OverflowError: _malformed,
            BodyTooLarge: _too_large,
        }
        self.app = Starlette(
            routes=routes,
            exception_handlers=handlers,
            middleware=[Middleware(BodyLimit, limit_for=self._limit_for)],
        )

    def _limit_for(self, method: str, path: str) -> int:
        """Body bytes a request may carry: GET and HEAD none, other routes a small JSON body."""
        if path == "/v1/envelopes":
            return self.config.max_envelope + 64 * 1024
        if path.startswith("/v1/blobs/") and method == "PATCH":
            return self.config.max_envelope
        return 0 if method in ("GET", "HEAD") else JSON_LIMIT

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
        raw = request.query_params.get("suite", "1")
        suite = int(raw) if raw.isdigit() and len(raw) < 4 else 0
        if suite not in SUITES:
            return _error(400, Reason.MALFORMED, f"suite must be one of {sorted(SUITES)}")
        return JSONResponse(await run_in_threadpool(self.keyring.key_set, self.now(), suite))

    def stats_doc(self) -> dict[str, Any]:
        envelopes = self.db.one("SELECT COUNT(*) AS n FROM envelopes")
        return {"events": self.db.event_totals(), "envelopes": envelopes["n"] if envelopes else 0}

    async def stats(self, request: Request) -> Response:
        """Operator statistics: only with the administrator token (Authorization: Bearer ...)."""
        expected = os.environ.get(ADMIN_TOKEN_ENV, "")
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            return _error(401, "auth", f"administrator token required (set {ADMIN_TOKEN_ENV})")
        return JSONResponse(await run_in_threadpool(self.stats_doc))

    async def enrol(self, request: Request) -> Response:
        body = await _json_body(request)
        if not isinstance(body, dict):
            raise ValueError("object expected")
        offered = body.get("suites", [1])  # a station from before suites offers none: suite 1
        if not isinstance(offered, list) or not all(isinstance(x, int) for x in offered):
            raise ValueError("suites must be a list of integers")
        try:
            bundle = await run_in_threadpool(
                self.keyring.enrol,
                str(body["token"]),
                str(body["station_id"]),
                unb64(str(body["public_key"])),
                self.now(),
                tuple(offered[:8]),
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
        client = request.client.host if request.client else ""
        try:
            async for chunk in request.stream():
                buf.extend(chunk)
                while len(buf) >= FRAME.size:
                    (n,) = FRAME.unpack_from(buf, 0)
                    if n > self.config.max_envelope or len(results) >= MAX_BATCH_FRAMES:
                        return _error(413, Reason.MALFORMED, "envelope or batch too large")
                    if len(buf) < FRAME.size + n:
                        break
                    data = bytes(buf[FRAME.size : FRAME.size + n])
                    del buf[: FRAME.size + n]
                    result = await run_in_threadpool(
                        intake.process, self.db, self.keyring, data, self.now(), self.intake_config
                    )
                    results.append(result)
                    if result["status"] == intake.REJECTED and not await run_in_threadpool(
                        self.refused.allow, client
                    ):
                        return JSONResponse({"results": results, "error": "rate_limited"}, status_code=429)
        except ClientDisconnect:
            return Response(status_code=400)
        if buf:
            results.append({"envelope_id": "", "status": UploadStatus.REJECTED, "code": Reason.MALFORMED})
        return JSONResponse({"results": results})

    async def blob_head(self, request: Request) -> Response:
        """The station's own upload offset (authenticated: another station sees nothing)."""
        eid = _envelope_id(request)
        who = await run_in_threadpool(self._authenticate, request, "-")
        if isinstance(who, Response):
            return who

        def look() -> Response:
            done = self.db.one(
                "SELECT size FROM envelopes WHERE station_id = ? AND envelope_id = ?", (who[0], eid)
            )
            if done is not None:
                size = str(done["size"])
                return Response(
                    headers={"Upload-Offset": size, "Upload-Length": size, "Envelope-State": "stored"}
                )
            part = blobs.progress(self.db, who[0], eid)
            if part is None:
                return Response(status_code=404, headers={"Upload-Offset": "0"})
            return Response(headers={"Upload-Offset": str(part[0]), "Upload-Length": str(part[1])})

        return await run_in_threadpool(look)

    async def blob_patch(self, request: Request) -> Response:
        """tus-style append: body continues the envelope at Upload-Offset; complete → processed.

        Authenticated from the headers (the signature covers offset and length) before a byte
        of the body is read. The body is then consumed before any database lookup: uvicorn
        drops body bytes it buffered but the app had not read yet when the client disconnects,
        and those are exactly the bytes a resume would otherwise have to send again.
        """
        eid = _envelope_id(request)
        offset = int(request.headers["upload-offset"])
        total = int(request.headers["upload-length"])
        if not 0 < total <= self.config.max_envelope or not 0 <= offset <= total:
            return _error(400, Reason.MALFORMED, "bad Upload-Offset/Upload-Length")
        # In the event loop, not the thread pool: no await may come between here and reading
        # the body, or a cut in between would lose the bytes uvicorn had already buffered.
        who = self._authenticate(request, upload_digest(offset, total))
        if isinstance(who, Response):
            return who
        station = who[0]
        body = bytearray()
        disconnected = False
        try:
            async for chunk in request.stream():
                body.extend(chunk)
                if offset + len(body) > total:
                    return _error(400, Reason.MALFORMED, "more bytes than Upload-Length")
        except ClientDisconnect:
            disconnected = True
        stored = await run_in_threadpool(
            self.db.one, "SELECT ack FROM envelopes WHERE station_id = ? AND envelope_id = ?", (station, eid)
        )
        if stored is not None:
            return JSONResponse({"envelope_id": eid, "status": intake.DUPLICATE, "ack": stored["ack"]})
        done = await run_in_threadpool(
            blobs.append, self.db, station, eid, offset, total, bytes(body), self.now()
        )
        if done.outcome == "offset":
            return Response(status_code=409, headers={"Upload-Offset": str(done.offset)})
        if done.outcome == "not_announced":
            return _error(400, Reason.MALFORMED, "the first bytes are not this station's envelope " + eid)
        if done.outcome == "quota":
            return _error(507, "quota", "this station's unfinished uploads are over the quota")
        if done.outcome == "partial":
            if disconnected:
                return Response(status_code=400)
            return Response(status_code=204, headers={"Upload-Offset": str(done.offset)})
        result = await run_in_threadpool(
            intake.process, self.db, self.keyring, done.data, self.now(), self.intake_config
        )
        if result["status"] != intake.ACCEPTED:
            await run_in_threadpool(self._discard, station, eid)
        return JSONResponse(result)

    def _discard(self, station: str, eid: str) -> None:
        with self.db.write(Lock.station(station)) as conn:
            blobs.discard(conn, station, eid)

    # ------------------------------------------------------------------ authenticated station calls

    def _authenticate(self, request: Request, digest: str | None) -> tuple[str, str] | Response:
        """Check X-Station-Auth; (station id, key id) or an error response.

        `digest` is what the signature covers for the body (sha256 hex, '-' for none, or the
        upload range of a PATCH); None checks everything but the signature — for a route that
        must see the station and key are live before it reads a (small) body to hash.
        A key in its rotation overlap passes here; `rotate` itself allows only the active key.
        """
        raw = request.headers.get(AUTH_HEADER, "")
        parts = raw.split(";")
        if len(parts) != 4 or not parts[2].isdigit() or len(parts[2]) > 12:
            return _error(401, Reason.AUTH, "missing or malformed X-Station-Auth")
        station_id, kid, ts, sig = parts
        if abs(time.time() - int(ts)) > AUTH_SKEW_SECONDS:  # wall clock, not the simulated one
            return _error(401, Reason.CLOCK_SKEW, "request time too far from the gateway's clock")
        keys = self.keyring.station_keys(station_id)
        if keys is None:
            return _error(403, Reason.UNKNOWN_STATION, station_id)
        key = next((k for k in keys if k.key_id == kid), None)
        if key is None or key.status == "revoked":
            return _error(
                403, Reason.REVOKED_STATION if key is not None or keys else Reason.UNKNOWN_STATION, station_id
            )
        if key.status == "retired":
            return _error(403, Reason.RETIRED_KEY, f"station key {kid} was replaced")
        if digest is None:
            return station_id, kid
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        msg = f"{request.method}\n{target}\n{digest}\n{ts}\n{station_id}".encode()
        try:
            get_suite(key.suite).verify(key.public_key, unb64(sig), msg)
        except (SuiteError, ValueError):
            return _error(401, Reason.AUTH, "bad request signature")
        return station_id, kid

    async def updates(self, request: Request) -> Response:
        who = await run_in_threadpool(self._authenticate, request, "-")
        if isinstance(who, Response):
            return who
        cursor = request.query_params.get("after", "")[:64]
        limit = max(1, min(200, int(request.query_params.get("limit", "50"))))
        page = await run_in_threadpool(
            production.updates_after, self.db, self.keyring.downlink(), who[0], cursor, limit, self.now()
        )
        return JSONResponse(page)

    async def roster_meta(self, request: Request) -> Response:
        return await snapshot.meta_route(self, request)

    async def roster_chunk(self, request: Request) -> Response:
        return await snapshot.chunk_route(self, request)

    async def rotate(self, request: Request) -> Response:
        pre = await run_in_threadpool(self._authenticate, request, None)
        if isinstance(pre, Response):
            return pre
        body = await request.body()  # at most JSON_LIMIT bytes (BodyLimit)
        who = await run_in_threadpool(self._authenticate, request, _sha256(body))
        if isinstance(who, Response):
            return who
        doc = json.loads(body)
        try:
            new_kid = await run_in_threadpool(
                self.keyring.rotate_station_key, who[0], who[1], unb64(str(doc["public_key"])), self.now()
            )
        except RegistryError as exc:
            return _error(403 if exc.code == "retired_key" else 400, exc.code, str(exc))
        return JSONResponse({"station_id": who[0], "key_id": new_kid})


def _envelope_id(request: Request) -> str:
    eid = str(request.path_params["envelope_id"])
    if len(eid) != 32 or any(c not in "0123456789abcdef" for c in eid):
        raise ValueError("envelope id must be 32 lowercase hex digits")
    return eid


async def _json_body(request: Request) -> Any:
    return json.loads(await request.body())  # at most JSON_LIMIT bytes (BodyLimit)


def _sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest() if body else "-"


def upload_digest(offset: int, total: int) -> str:
    """What a PATCH's X-Station-Auth signs in place of a body digest (the body is the
    envelope's own, signed inside; the range binds the request to this append)."""
    return f"upload {offset} {total}"


def _error(status: int, code: str, detail: str) -> JSONResponse:
    return JSONResponse({"error": code, "detail": detail}, status_code=status)


async def _malformed(request: Request, exc: Exception) -> Response:
    return _error(400, Reason.MALFORMED, type(exc).__name__)


async def _too_large(request: Request, exc: Exception) -> Response:
    return _error(413, "too_large", "request body over the limit")


def create_app(
    db_path: str | Path,
    *,
    production_days: float = 5.0,
    clock: Callable[[], datetime] | None = None,
    rotation_overlap: timedelta = ROTATION_OVERLAP,
    kek_path: Path | None = None,
) -> Gateway:
    target: Path | str = str(db_path) if is_postgres_url(db_path) else Path(db_path)
    return Gateway(
        GatewayConfig(
            target, production_days, clock or _utcnow, rotation_overlap=rotation_overlap, kek_path=kek_path
        )
    )
