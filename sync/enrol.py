"""Station enrolment, station-key rotation and server-key refresh (the station's side).

Enrolment (docs/sync.md): an administrator runs `cardstation gateway register-station`, which
prints a one-time token `<secret>.<fingerprint of the gateway's downlink key>`. At the station,
`cardstation keys enrol --url URL --token T` generates the station's signing key for the suite
of its province profile (`crypto_suite`: 1, or 2 = 国密), sends only its public half with the
token and the suite, and pins the returned key bundle — after checking that the bundle is
signed by a downlink key with the fingerprint from the token (so a fake server on the way
cannot slip its own keys in) and that it names the suite asked for (so nobody on the way can
talk the station down to another suite). The suite then stays pinned: rotation keeps it.
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


def profile_suite(store: Store) -> int:
    """The suite the station's province profile asks for; suite 1 for a store with no province yet
    (a bare store that tools enrol by station id alone)."""
    from offline.station import load_station_profile, station_info

    info = station_info(store)
    return 1 if info is None or not info.province else load_station_profile(info, store).crypto_suite


def enrol(
    store: Store,
    url: str,
    token: str,
    *,
    station_id: str | None = None,
    client: GatewayClient | None = None,
    suite: int | None = None,
) -> PinnedServerKey:
    """Enrol with the suite of the profile (or `suite`, for tools and tests)."""
    chosen = profile_suite(store) if suite is None else suite
    sid = station_id or store.setting(keys.S_STATION_ID)
    if not sid:
        raise EnrolError("本站尚未初始化（缺少站号）。请先运行 cardstation init，或用 --station-id 指定。")
    _secret, _, fp = token.partition(".")
    if not fp:
        raise EnrolError("注册码格式不对（应为“密码.指纹”）。请核对后重新输入。")
    priv, pub, _kid = keys.new_station_key(chosen)
    c = client or GatewayClient(url)
    try:
        bundle = c.enrol(token, sid, pub, suite=chosen)
    except LinkError as exc:
        if exc.code in ("network", "timeout", "portal", "server_error"):  # the link, not a refusal
            raise EnrolError(messages.ENROL_NO_LINK.format(reason=messages.reason(exc.code))) from exc
        raise EnrolError(
            messages.ENROL_REFUSED.format(reason=exc.detail or messages.reason(exc.code))
        ) from exc
    finally:
        if client is None:
            c.close()
    if bundle.get("station_id") != sid:
        raise EnrolError(messages.ENROL_REFUSED.format(reason="站号不符"))
    try:
        keys.pin_bundle(store, bundle, expected_fingerprint=fp, expected_suite=chosen)
    except keys.KeySetError as exc:
        raise EnrolError(messages.ENROL_FINGERPRINT) from exc
    keys.save_identity(store, station_id=sid, private_key=priv, url=url, suite=chosen)
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
    """New station signing key of the pinned suite, registered by a request signed with the old one.

    The old key is retired at the gateway (it still verifies envelopes sealed before), the
    new key file replaces the old one only after the gateway accepted it.
    """
    ident = keys.load_identity(store)
    url = store.setting(keys.S_URL) or ""
    priv, pub, kid = keys.new_station_key(ident.suite)
    c = client or GatewayClient(url, identity=ident)
    try:
        doc: dict[str, Any] = c.rotate(pub)
    finally:
        if client is None:
            c.close()
    if doc.get("key_id") != kid:
        raise EnrolError(messages.ENROL_REFUSED.format(reason="新密钥编号不符"))
    keys.save_identity(store, station_id=ident.station_id, private_key=priv, suite=ident.suite)
    return kid


def refresh_server_keys(store: Store, *, client: GatewayClient | None = None) -> list[PinnedServerKey]:
    url = store.setting(keys.S_URL) or ""
    c = client or GatewayClient(url)
    try:
        return keys.update_server_keys(store, c.key_set(keys.pinned_suite(store)))
    finally:
        if client is None:
            c.close()
