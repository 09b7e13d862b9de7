"""The gateway API as an OpenAPI 3 document (hand-written; a test keeps it equal to the routes)."""

from __future__ import annotations

from typing import Any

_ERR = {
    "description": "refused",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}
_AUTH: list[dict[str, list[str]]] = [{"stationAuth": []}]


def _json(ref: str, description: str = "ok") -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
    }


OPENAPI: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {
        "title": "cardstation reference card-management gateway",
        "version": "1",
        "description": "Sealed-envelope upload, signed downlink, station enrolment. See docs/sync.md.",
    },
    "paths": {
        "/v1/ping": {
            "get": {
                "summary": "Link probe: proves the real gateway answers (a captive portal cannot echo the nonce).",
                "parameters": [
                    {"name": "nonce", "in": "query", "schema": {"type": "string", "maxLength": 64}}
                ],
                "responses": {"200": _json("Ping")},
            }
        },
        "/v1/enrol": {
            "post": {
                "summary": "Redeem a one-time enrolment token; returns the signed key bundle to pin.",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Enrol"}}},
                },
                "responses": {"200": _json("Bundle"), "400": _ERR, "403": _ERR},
            }
        },
        "/v1/keys": {
            "get": {
                "summary": "The current encryption public keys of a suite, signed by the downlink key.",
                "parameters": [
                    {
                        "name": "suite",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "integer", "enum": [1, 2], "default": 1},
                        "description": "1 = X25519 (HPKE), 2 = SM2 (国密); the suite the station pinned",
                    }
                ],
                "responses": {"200": _json("KeySet"), "400": _ERR},
            }
        },
        "/v1/envelopes": {
            "post": {
                "summary": "Upload a batch: frames of u32 big-endian length + envelope bytes.",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
                    },
                },
                "responses": {"200": _json("BatchResult"), "400": _ERR, "413": _ERR},
            }
        },
        "/v1/blobs/{envelope_id}": {
            "parameters": [
                {
                    "name": "envelope_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
                }
            ],
            "head": {
                "summary": "How many bytes of this envelope the gateway holds (Upload-Offset).",
                "responses": {
                    "200": {"description": "partial or stored"},
                    "404": {"description": "nothing yet"},
                },
            },
            "patch": {
                "summary": "Append bytes at Upload-Offset (Upload-Length = whole envelope); complete → processed.",
                "parameters": [
                    {
                        "name": "Upload-Offset",
                        "in": "header",
                        "required": True,
                        "schema": {"type": "integer"},
                    },
                    {
                        "name": "Upload-Length",
                        "in": "header",
                        "required": True,
                        "schema": {"type": "integer"},
                    },
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/offset+octet-stream": {"schema": {"type": "string", "format": "binary"}}
                    },
                },
                "responses": {
                    "200": _json("Result"),
                    "204": {"description": "stored up to Upload-Offset"},
                    "409": {"description": "offset mismatch; Upload-Offset says where to resume"},
                    "400": _ERR,
                },
            },
        },
        "/v1/updates": {
            "get": {
                "summary": "Signed downlink updates after an opaque cursor.",
                "security": _AUTH,
                "parameters": [
                    {"name": "after", "in": "query", "schema": {"type": "string"}},
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 200},
                    },
                ],
                "responses": {"200": _json("UpdatePage"), "401": _ERR, "403": _ERR},
            }
        },
        "/v1/stations/rotate": {
            "post": {
                "summary": "Register a new station signing key (request signed with the current key).",
                "security": _AUTH,
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"type": "object", "properties": {"public_key": {"type": "string"}}}
                        }
                    },
                },
                "responses": {"200": {"description": "new key id"}, "401": _ERR, "403": _ERR},
            }
        },
        "/v1/roster/snapshot": {
            "get": {
                "summary": "Signed meta of this station's area roster snapshot (built when the catalogue moved on).",
                "security": _AUTH,
                "parameters": [
                    {"name": "resume", "in": "query", "schema": {"type": "string"}},
                ],
                "responses": {"200": {"description": "signed snapshot meta"}, "401": _ERR, "403": _ERR},
            }
        },
        "/v1/roster/snapshot/{snapshot_id}": {
            "get": {
                "summary": "A byte range of the snapshot (xz); resumable by offset.",
                "security": _AUTH,
                "parameters": [
                    {"name": "snapshot_id", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}},
                    {"name": "length", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                ],
                "responses": {
                    "200": {"description": "application/octet-stream"},
                    "410": _ERR,
                    "400": _ERR,
                    "401": _ERR,
                    "403": _ERR,
                },
            }
        },
        "/v1/stats": {
            "get": {
                "summary": "Counters per outcome and reason code (Authorization: Bearer <admin token>).",
                "responses": {"200": _json("Stats")},
            }
        },
        "/openapi.json": {
            "get": {"summary": "This document.", "responses": {"200": {"description": "OpenAPI 3"}}}
        },
    },
    "components": {
        "securitySchemes": {
            "stationAuth": {
                "type": "apiKey",
                "in": "header",
                "name": "X-Station-Auth",
                "description": "station_id;key_id;unix_time;Ed25519 signature of METHOD\\nPATH?QUERY\\nSHA256(body)|-\\nTIME\\nSTATION",
            }
        },
        "schemas": {
            "Error": {
                "type": "object",
                "properties": {"error": {"type": "string"}, "detail": {"type": "string"}},
            },
            "Ping": {
                "type": "object",
                "properties": {
                    "service": {"type": "string"},
                    "version": {"type": "integer"},
                    "nonce": {"type": "string"},
                    "time": {"type": "string"},
                },
            },
            "Enrol": {
                "type": "object",
                "required": ["token", "station_id", "public_key"],
                "properties": {
                    "token": {"type": "string"},
                    "station_id": {"type": "string"},
                    "public_key": {
                        "type": "string",
                        "description": "base64 raw signing key of the offered suite: Ed25519 (32 bytes) or SM2 x‖y (64)",
                    },
                    "suites": {
                        "type": "array",
                        "items": {"type": "integer", "enum": [1, 2]},
                        "description": "suites the station supports, preferred first (absent: [1]); "
                        "the first the gateway supports is pinned, else 403 unsupported_suite",
                    },
                },
            },
            "Key": {
                "type": "object",
                "properties": {
                    "key_id": {"type": "string"},
                    "public_key": {"type": "string"},
                    "not_after": {"type": "string"},
                },
            },
            "KeySet": {
                "type": "object",
                "properties": {
                    "hpke_keys": {"type": "array", "items": {"$ref": "#/components/schemas/Key"}},
                    "issued_at": {"type": "string"},
                    "suite": {"type": "integer", "description": "absent for suite 1"},
                    "signature": {"type": "string"},
                },
            },
            "Bundle": {
                "type": "object",
                "properties": {
                    "station_id": {"type": "string"},
                    "hpke_keys": {"type": "array", "items": {"$ref": "#/components/schemas/Key"}},
                    "downlink_key": {"$ref": "#/components/schemas/Key"},
                    "suite": {"type": "integer", "description": "the pinned suite; absent for suite 1"},
                    "signature": {"type": "string"},
                },
            },
            "Result": {
                "type": "object",
                "properties": {
                    "envelope_id": {"type": "string"},
                    "status": {"type": "string", "enum": ["acked", "duplicate", "conflict", "rejected"]},
                    "ack": {
                        "type": "string",
                        "description": "signed JSON acknowledgement naming the envelope id",
                    },
                    "code": {
                        "type": "string",
                        "enum": [
                            "tampered",
                            "unknown_station",
                            "revoked_station",
                            "retired_key",
                            "wrong_key_id",
                            "expired_key",
                            "cleartext",
                            "malformed",
                            "replayed",
                            "conflict",
                        ],
                    },
                },
            },
            "BatchResult": {
                "type": "object",
                "properties": {
                    "results": {"type": "array", "items": {"$ref": "#/components/schemas/Result"}}
                },
            },
            "Update": {
                "type": "object",
                "properties": {
                    "station_id": {"type": "string"},
                    "update_id": {"type": "string"},
                    "kind": {"type": "string"},
                    "payload": {"type": "object"},
                    "cursor": {"type": "string"},
                    "signature": {"type": "string"},
                },
            },
            "UpdatePage": {
                "type": "object",
                "properties": {
                    "updates": {"type": "array", "items": {"$ref": "#/components/schemas/Update"}},
                    "cursor": {"type": "string"},
                    "more": {"type": "boolean"},
                },
            },
            "Stats": {
                "type": "object",
                "properties": {
                    "events": {"type": "object", "additionalProperties": {"type": "integer"}},
                    "envelopes": {"type": "integer"},
                },
            },
        },
    },
}


def _merge_flow_paths() -> None:
    """Routes registered by flow modules document themselves next to their code."""
    from sync.gateway.verify import OPENAPI_PATHS

    OPENAPI["paths"].update(OPENAPI_PATHS)


_merge_flow_paths()
