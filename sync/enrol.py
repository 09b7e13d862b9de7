"""Station enrolment, station-key rotation and server-key refresh (the station's side).

Enrolment (docs/sync.md): an administrator runs `cardstation gateway register-station`, which
prints a one-time token `<secret>.<fingerprint of the gateway's downlink key>`. At the station,
`cardstation keys enrol --url URL --token T` generates the station's Ed25519 key, sends only
its public half with the token, and pins the returned key bundle — after checking that the
bundle is signed by a downlink key with the fingerprint from the token (so a fake server on
the way cannot slip its own keys in).
"""

from __future__ import annotations

from typing import Any

from offline.protocols import CardstationError
from offline.store import Store
from sync import keys, messages
from sync.client import GatewayClient, LinkError
from sync.envelope import PinnedServerKey


class EnrolError(CardstationError):
    """Enrolment failed; `str()` is Chinese."""


def enrol(
    store: Store, url: str, token: str, *, station_id: str | None = None, client: GatewayClient | None = None
) -> PinnedServerKey:
    sid = station_id or store.setting(keys.S_STATION_ID)
    if not sid:
        raise EnrolError("本站尚未初始化（缺少站号）。请先运行 cardstation init，或用 --station-id 指定。")
    _secret, _, fp = token.partition(".")
    if not fp:
        raise EnrolError("注册码格式不对（应为“密码.指纹”）。请核对后重新输入。")
    priv, pub, _kid = keys.new_station_key()
    c = client or GatewayClient(url)
    try:
        bundle = c.enrol(token, sid, pub)
    except LinkError as exc:
        raise EnrolError(
            messages.ENROL_REFUSED.format(reason=exc.detail or messages.reason(exc.code))
        ) from exc
    finally:
        if client is None:
            c.close()
    if bundle.get("station_id") != sid:
        raise EnrolError(messages.ENROL_REFUSED.format(reason="站号不符"))
    try:
        keys.pin_bundle(store, bundle, expected_fingerprint=fp)
    except keys.KeySetError as exc:
        raise EnrolError(messages.ENROL_FINGERPRINT) from exc
    keys.save_identity(store, station_id=sid, private_key=priv, url=url)
    _fetch_roster(store, client)
    return keys.current_server_key(store)


def _fetch_roster(store: Store, client: GatewayClient | None) -> None:
    """The area's holder roster right after enrolment; owed (next sync resumes) when the link fails."""
    from sync import roster

    roster.mark_pending(store)
    c = client or GatewayClient(
        store.setting(keys.S_URL) or "",
        identity=keys.load_identity(store),
        downlink_public_key=keys.downlink_key(store).public_key,
    )
    try:
        if client is not None:
            c.identity = keys.load_identity(store)
            c.downlink_public_key = keys.downlink_key(store).public_key
        roster.download_roster(store, client=c)
    except (LinkError, roster.RosterError):
        pass  # still pending: the next sync run continues where this stopped
    finally:
        if client is None:
            c.close()


def rotate_station_key(store: Store, *, client: GatewayClient | None = None) -> str:
    """New station signing key, registered by a request signed with the old one.

    The old key is retired at the gateway (it still verifies envelopes sealed before), the
    new key file replaces the old one only after the gateway accepted it.
    """
    ident = keys.load_identity(store)
    url = store.setting(keys.S_URL) or ""
    priv, pub, kid = keys.new_station_key()
    c = client or GatewayClient(url, identity=ident)
    try:
        doc: dict[str, Any] = c.rotate(pub)
    finally:
        if client is None:
            c.close()
    if doc.get("key_id") != kid:
        raise EnrolError(messages.ENROL_REFUSED.format(reason="新密钥编号不符"))
    keys.save_identity(store, station_id=ident.station_id, private_key=priv)
    return kid


def refresh_server_keys(store: Store, *, client: GatewayClient | None = None) -> list[PinnedServerKey]:
    url = store.setting(keys.S_URL) or ""
    c = client or GatewayClient(url)
    try:
        return keys.update_server_keys(store, c.key_set())
    finally:
        if client is None:
            c.close()
