"""The words of the station ↔ card-management protocol, shared by the client and the gateway.

Wire values (upload statuses, error and rejection codes, routes, the auth header) are written
once here as `StrEnum`s, so the client (`sync/client.py`), the engine and the reference gateway
(`sync/gateway/`) cannot drift apart by a typo, and mypy sees every use. Members are `str`s:
they go into JSON and compare with what arrives as plain strings. docs/sync.md describes them.
"""

from __future__ import annotations

from enum import StrEnum

#: Header carrying the station's request signature: "station;key id;unix time;signature".
AUTH_HEADER = "X-Station-Auth"


class UploadStatus(StrEnum):
    """What the gateway answers for each uploaded envelope."""

    ACKED = "acked"  # new, stored, signed acknowledgement in `ack`
    DUPLICATE = "duplicate"  # already stored under the same id and content: the original ack
    CONFLICT = "conflict"  # same id, different content: a person must look
    REJECTED = "rejected"  # refused; `code` says why (a Reason)


class Reason(StrEnum):
    """Why an envelope was refused or a request failed (also the keys of sync.messages.REASONS)."""

    # the gateway refuses an envelope (docs/sync.md, "Rejection codes")
    TAMPERED = "tampered"
    UNKNOWN_STATION = "unknown_station"
    REVOKED_STATION = "revoked_station"
    WRONG_KEY_ID = "wrong_key_id"
    EXPIRED_KEY = "expired_key"
    CLEARTEXT = "cleartext"
    MALFORMED = "malformed"
    REPLAYED = "replayed"
    CONFLICT = "conflict"
    # the gateway refuses a request
    AUTH = "auth"
    CLOCK_SKEW = "clock_skew"
    # the client sees the link or the gateway fail
    NETWORK = "network"
    TIMEOUT = "timeout"
    PORTAL = "portal"
    SERVER_ERROR = "server_error"
    BAD_ACK = "bad_ack"
    REFUSED = "refused"  # enrolment or key rotation refused
    # the station's own
    BUSY = "busy"  # another sync runner holds the store
    KEYS_REFRESH_FAILED = "keys_refresh_failed"
    DOWNLINK_SIGNATURE = "downlink_signature"


#: The reasons an envelope can be refused with (EnvelopeError codes).
REJECTION_CODES: tuple[Reason, ...] = (
    Reason.TAMPERED,
    Reason.UNKNOWN_STATION,
    Reason.REVOKED_STATION,
    Reason.WRONG_KEY_ID,
    Reason.EXPIRED_KEY,
    Reason.CLEARTEXT,
    Reason.MALFORMED,
)


class Endpoint(StrEnum):
    """The gateway's endpoints (`/v1/blobs/{envelope_id}` is BLOBS + "/" + id)."""

    PING = "/v1/ping"
    ENROL = "/v1/enrol"
    KEYS = "/v1/keys"
    ENVELOPES = "/v1/envelopes"
    BLOBS = "/v1/blobs"
    UPDATES = "/v1/updates"
    ROTATE = "/v1/stations/rotate"
    STATS = "/v1/stats"
