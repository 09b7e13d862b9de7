"""HTTP client of the station: the only place that speaks to the gateway (httpx).

Why the timeouts look like this (sync-protocol.md): httpx has no total timeout, and its
write timeout can pass while the response is still owed. So the read timeout covers a whole
request body at the slowest supported rate (20 kbit/s) plus the gateway's work, and every
attempt also has its own deadline, checked between body chunks and response chunks.

Success is only an explicit acknowledgement: a signed JSON object naming the envelope id
(verified against the pinned downlink key). A bare 200 — a captive portal — raises
LinkError('portal').
"""

from __future__ import annotations

import hashlib
import json
import secrets
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from offline.outbox import OutboxEntry
from offline.protocols import CardstationError
from sync import messages
from sync.keys import KeySetError, StationIdentity, sign_request, verify_signed
from sync.suite import b64
from sync.wire import AUTH_HEADER, Endpoint, Reason, UploadStatus

SLOWEST_BYTES_PER_S = 20_000 / 8
SERVER_GRACE_S = 15.0
CONNECT_TIMEOUT_S = 15.0
CHUNK = 4096
FRAME = struct.Struct(">I")
SERVICE = "cardstation-gateway"
DROPPED_DEFAULT_HEADERS = ("Accept", "Accept-Encoding", "Connection")


class LinkError(CardstationError):
    """A failure of the link or of the gateway as a whole (stop the batch, back off).

    code: 'network' | 'timeout' | 'portal' | 'server_error' | 'unknown_station' |
    'revoked_station' | 'retired_key' | 'auth' | 'bad_ack' | 'cancelled' (stop requested).
    """

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(messages.reason(code), code=code, text=f"{code}: {detail}" if detail else code)
        self.detail = detail


@dataclass(frozen=True)
class UploadResult:
    envelope_id: str
    status: str  # an UploadStatus
    ack: str = ""
    code: str = ""
    #: With a `replayed` refusal: the highest sequence number the gateway holds for this station
    #: (signed by the downlink key and checked here; 0 when absent or not verifiable).
    seq_floor: int = 0


def budget_seconds(nbytes: int) -> float:
    """Time an exchange of `nbytes` may take at the slowest supported rate, plus grace."""
    return nbytes / SLOWEST_BYTES_PER_S + SERVER_GRACE_S


@dataclass(frozen=True)
class Reply:
    """A response read in full under the attempt's deadline."""

    status_code: int
    headers: httpx.Headers
    content: bytes


class GatewayClient:
    """One station's connection to the gateway (keeps a pooled httpx.Client)."""

    def __init__(
        self,
        base_url: str,
        *,
        identity: StationIdentity | None = None,
        downlink_public_key: bytes | None = None,
        transport: httpx.BaseTransport | None = None,
        cancel: threading.Event | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        #: Set from another thread (a daemon told to stop): the request in flight ends at its
        #: next 4 KB chunk with LinkError('cancelled'); what a blob PATCH sent stays resumable.
        self.cancel = cancel or threading.Event()
        self.identity = identity
        self.downlink_public_key = downlink_public_key
        self.bytes_up = 0
        self.bytes_down = 0
        self._http = httpx.Client(
            base_url=self.base_url,
            transport=transport,
            follow_redirects=False,
            timeout=httpx.Timeout(
                connect=CONNECT_TIMEOUT_S,
                read=budget_seconds(64_000),
                write=budget_seconds(64_000),
                pool=CONNECT_TIMEOUT_S,
            ),
            headers={"User-Agent": "cardstation-sync/1"},
        )
        # Every request header byte crosses a 64 kbit/s link ~430 times per 200 applications:
        # drop httpx's defaults the gateway never uses (it does not compress its answers, and
        # HTTP/1.1 keeps the connection alive without saying so). ~70 bytes a request.
        for name in DROPPED_DEFAULT_HEADERS:
            self._http.headers.pop(name, None)

    def close(self) -> None:
        self._http.close()

    def abort(self) -> None:
        """Cancel (any thread): also close the connections, so a request waiting for its
        answer ends now rather than after its read timeout."""
        self.cancel.set()
        self._http.close()

    # ------------------------------------------------------------------ plumbing

    def _request(
        self,
        method: str,
        path: str,
        *,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        expect_down: int = 16_000,
    ) -> Reply:
        """Send with a deadline for the whole attempt; the response body is read under it too."""
        if self.cancel.is_set():
            raise LinkError("cancelled", "stopping")
        deadline = time.monotonic() + budget_seconds(len(body) + expect_down)
        hdrs = dict(headers or {})
        if method in ("POST", "PATCH"):
            hdrs["Content-Length"] = str(len(body))

        def chunks() -> Iterator[bytes]:
            for i in range(0, len(body), CHUNK):
                if time.monotonic() > deadline:
                    raise LinkError(Reason.TIMEOUT, "attempt deadline passed while sending")
                if self.cancel.is_set():
                    raise LinkError(Reason.CANCELLED, "stopping")
                piece = body[i : i + CHUNK]
                self.bytes_up += len(piece)
                yield piece

        timeout = httpx.Timeout(
            connect=CONNECT_TIMEOUT_S,
            read=budget_seconds(len(body) + expect_down),
            write=budget_seconds(CHUNK * 4),
            pool=CONNECT_TIMEOUT_S,
        )
        try:
            with self._http.stream(
                method, path, content=chunks() if body else None, headers=hdrs, timeout=timeout
            ) as resp:
                data = bytearray()
                for piece in resp.iter_bytes():
                    data.extend(piece)
                    self.bytes_down += len(piece)
                    if time.monotonic() > deadline:
                        raise LinkError(Reason.TIMEOUT, "attempt deadline passed while receiving")
                    if self.cancel.is_set():
                        raise LinkError(Reason.CANCELLED, "stopping")
                    if len(data) > 4 * 1024 * 1024:
                        raise LinkError(Reason.PORTAL, "response too large")
                return Reply(resp.status_code, resp.headers, bytes(data))
        except httpx.TimeoutException as exc:
            raise LinkError(Reason.TIMEOUT, type(exc).__name__) from exc
        except httpx.HTTPError as exc:
            if self.cancel.is_set():
                raise LinkError(Reason.CANCELLED, "stopping") from exc
            raise LinkError(Reason.NETWORK, type(exc).__name__) from exc

    def _json(self, resp: Reply) -> Any:
        if resp.status_code >= 500:
            raise LinkError(Reason.SERVER_ERROR, f"HTTP {resp.status_code}")
        try:
            doc = json.loads(resp.content)
        except ValueError as exc:
            raise LinkError(Reason.PORTAL, f"HTTP {resp.status_code}, not JSON") from exc
        if resp.status_code in (401, 403) and isinstance(doc, dict):
            code = str(doc.get("error", Reason.AUTH))
            station_codes = (Reason.UNKNOWN_STATION, Reason.REVOKED_STATION, Reason.RETIRED_KEY)
            raise LinkError(code if code in station_codes else Reason.AUTH, str(doc.get("detail")))
        return doc

    def _auth(self, method: str, target: str, body: bytes = b"", *, digest: str = "") -> dict[str, str]:
        """X-Station-Auth; a PATCH signs its upload range instead of a body digest (gateway app)."""
        if self.identity is None:
            return {}
        digest = digest or (hashlib.sha256(body).hexdigest() if body else "-")
        return {AUTH_HEADER: sign_request(self.identity, method, target, digest, int(time.time()))}

    def _check_ack(self, envelope_id: str, ack: str) -> None:
        """The acknowledgement must be signed by the pinned downlink key and name this envelope."""
        try:
            doc = json.loads(ack)
            if self.downlink_public_key is not None:
                doc = verify_signed(doc, self.downlink_public_key)
        except (ValueError, KeySetError, AttributeError) as exc:
            raise LinkError(Reason.BAD_ACK, envelope_id) from exc
        if not isinstance(doc, dict) or doc.get("envelope_id") != envelope_id:
            raise LinkError(Reason.BAD_ACK, envelope_id)

    def _result(self, item: Any, expected: str) -> UploadResult:
        if not isinstance(item, dict):
            raise LinkError(Reason.PORTAL, "result is not an object")
        status = str(item.get("status", ""))
        ack = str(item.get("ack", "") or "")
        if status in (UploadStatus.ACKED, UploadStatus.DUPLICATE):
            if item.get("envelope_id") != expected:
                raise LinkError(Reason.BAD_ACK, "acknowledgement names another envelope")
            self._check_ack(expected, ack)
        elif status not in (UploadStatus.CONFLICT, UploadStatus.REJECTED):
            raise LinkError(Reason.PORTAL, f"unknown status {status!r}")
        code = str(item.get("code", "") or "")
        floor = self._seq_floor(expected, item.get("seq_floor")) if code == Reason.REPLAYED else 0
        return UploadResult(expected, status, ack, code, floor)

    def _seq_floor(self, envelope_id: str, statement: Any) -> int:
        """A replay refusal's signed "numbering continues above N" (a restored station), or 0.

        Only a statement signed by the pinned downlink key, naming this envelope and this
        station, moves the station's numbering: an unsigned number from a portal or a proxy
        must not make the station skip or reuse sequence numbers.
        """
        if not isinstance(statement, str) or self.downlink_public_key is None or self.identity is None:
            return 0
        try:
            doc = verify_signed(json.loads(statement), self.downlink_public_key)
            good = doc.get("envelope_id") == envelope_id and doc.get("station_id") == self.identity.station_id
            return int(doc.get("max_seq", 0)) if good else 0
        except (ValueError, KeySetError, AttributeError, TypeError):
            return 0

    # ------------------------------------------------------------------ API

    def probe(self) -> None:
        """The real endpoint answers with our nonce, or LinkError (portal/network/...)."""
        nonce = secrets.token_hex(8)
        resp = self._request("GET", f"{Endpoint.PING}?nonce={nonce}", expect_down=512)
        doc = self._json(resp)
        if not isinstance(doc, dict) or doc.get("service") != SERVICE or doc.get("nonce") != nonce:
            raise LinkError(Reason.PORTAL, f"HTTP {resp.status_code}, not the gateway")

    def upload_batch(self, entries: list[OutboxEntry]) -> list[UploadResult]:
        """Several small envelopes in one request; results in order, each checked."""
        body = b"".join(FRAME.pack(len(e.envelope)) + e.envelope for e in entries)
        resp = self._request(
            "POST",
            Endpoint.ENVELOPES,
            body=body,
            headers={"Content-Type": "application/octet-stream"},
            expect_down=600 * len(entries),
        )
        doc = self._json(resp)
        results = doc.get("results") if isinstance(doc, dict) else None
        if resp.status_code != 200 or not isinstance(results, list):
            raise LinkError(
                Reason.PORTAL if resp.status_code == 200 else Reason.SERVER_ERROR, f"HTTP {resp.status_code}"
            )
        out = []
        for entry, item in zip(entries, results, strict=False):
            out.append(self._result(item, entry.envelope_id))
        return out  # shorter than entries when the gateway stopped early: the rest are retried

    def upload_blob(self, entry: OutboxEntry, *, resume: bool) -> UploadResult:
        """tus-style: HEAD for the offset when resuming, then PATCH the rest."""
        total = len(entry.envelope)
        offset = 0
        path = f"{Endpoint.BLOBS}/{entry.envelope_id}"
        if resume:
            head = self._request("HEAD", path, headers=self._auth("HEAD", path), expect_down=256)
            if head.status_code >= 500:
                raise LinkError(Reason.SERVER_ERROR, f"HTTP {head.status_code}")
            if head.status_code == 200:
                offset = int(head.headers.get("upload-offset", "0"))
            if offset > total or head.headers.get("envelope-state") == "stored":
                offset = 0 if offset > total else offset
        for _ in range(3):
            resp = self._request(
                "PATCH",
                path,
                body=entry.envelope[offset:],
                headers={
                    "Upload-Offset": str(offset),
                    "Upload-Length": str(total),
                    "Content-Type": "application/offset+octet-stream",
                    **self._auth("PATCH", path, digest=f"upload {offset} {total}"),
                },
                expect_down=1024,
            )
            if resp.status_code == 409:
                offset = int(resp.headers.get("upload-offset", "0"))
                continue
            if resp.status_code == 204:
                raise LinkError(Reason.NETWORK, "upload incomplete")
            doc = self._json(resp)
            if resp.status_code != 200:
                raise LinkError(Reason.SERVER_ERROR, f"HTTP {resp.status_code}")
            return self._result(doc, entry.envelope_id)
        raise LinkError(Reason.SERVER_ERROR, "offset negotiation failed")

    def fetch_updates(self, cursor: str, limit: int = 50) -> dict[str, Any]:
        target = f"{Endpoint.UPDATES}?" + str(httpx.QueryParams({"after": cursor, "limit": str(limit)}))
        resp = self._request("GET", target, headers=self._auth("GET", target), expect_down=2000 * limit)
        doc = self._json(resp)
        if resp.status_code != 200 or not isinstance(doc, dict) or not isinstance(doc.get("updates"), list):
            raise LinkError(Reason.PORTAL, f"HTTP {resp.status_code}")
        return doc

    def roster_meta(self, resume: str = "") -> dict[str, Any]:
        """The signed meta of this station's area roster snapshot (`resume`: keep that one if it exists)."""
        target = "/v1/roster/snapshot" + (f"?resume={resume}" if resume else "")
        # The gateway may build the snapshot first (a large area takes a while): a longer budget.
        resp = self._request("GET", target, headers=self._auth("GET", target), expect_down=100_000)
        doc = self._json(resp)
        if resp.status_code != 200 or not isinstance(doc, dict):
            raise LinkError("portal", f"HTTP {resp.status_code}")
        return doc

    def roster_chunk(self, snapshot_id: str, offset: int, length: int) -> bytes | None:
        """Bytes of the snapshot from `offset`; None when the gateway replaced it (410)."""
        target = f"/v1/roster/snapshot/{snapshot_id}?offset={offset}&length={length}"
        resp = self._request("GET", target, headers=self._auth("GET", target), expect_down=length)
        if resp.status_code == 410:
            return None
        if resp.status_code != 200:
            self._json(resp)
            raise LinkError("server_error", f"HTTP {resp.status_code}")
        return resp.content

    def key_set(self, suite: int = 1) -> dict[str, Any]:
        """The signed server key set of `suite` (the suite the station pinned at enrolment)."""
        target = Endpoint.KEYS if suite == 1 else f"{Endpoint.KEYS}?suite={suite}"
        doc = self._json(self._request("GET", target, expect_down=2048))
        if not isinstance(doc, dict):
            raise LinkError(Reason.PORTAL, "key set is not an object")
        return doc

    def enrol(self, token: str, station_id: str, public_key: bytes, *, suite: int = 1) -> dict[str, Any]:
        """Announce the station's suite and its public key of that suite with the token."""
        body = json.dumps(
            {"token": token, "station_id": station_id, "public_key": b64(public_key), "suites": [suite]}
        ).encode()
        resp = self._request("POST", Endpoint.ENROL, body=body, headers={"Content-Type": "application/json"})
        doc = self._json(resp)
        if resp.status_code != 200 or not isinstance(doc, dict):
            raise LinkError(
                Reason.REFUSED, str(doc.get("detail") if isinstance(doc, dict) else resp.status_code)
            )
        return doc

    def rotate(self, new_public_key: bytes) -> dict[str, Any]:
        body = json.dumps({"public_key": b64(new_public_key)}).encode()
        target = Endpoint.ROTATE
        resp = self._request(
            "POST",
            target,
            body=body,
            headers={"Content-Type": "application/json", **self._auth("POST", target, body)},
        )
        doc = self._json(resp)
        if resp.status_code != 200 or not isinstance(doc, dict):
            raise LinkError(Reason.REFUSED, str(resp.status_code))
        return doc
