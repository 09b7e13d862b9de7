"""The sync screen's USB-stick route (sneakernet): 导出到U盘 and 导入回执, with the folder shown.

For a village with no link for weeks: U writes the unsent queue as one signed bundle into the
folder (the stick), H imports the newest return bundle (`updates-<station>-….json`) found there.
The work itself is `sync.bundle` (the same code as `cardstation outbox export` /
`cardstation sync --import-updates`); these functions run in the screen's thread workers and
return one Chinese line for the progress row. The folder is remembered in the store's settings
so the next export goes to the same stick.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

S_FOLDER: Final = "sneakernet.folder"
DEFAULT_FOLDER: Final = "/media/usb"

USB_LABEL: Final = "U盘目录："
USB_HINT: Final = "U 导出到U盘  H 导入回执（Tab 到目录栏可改目录，Enter 确认）"
EXPORT_DONE: Final = "已导出 {n} 个待上传数据包到 {path}。请带到联网处上传；收到回执前它们仍在本机队列中。"
EXPORT_EMPTY: Final = "没有待上传的数据包（已写入空文件 {path}）。"
IMPORT_DONE: Final = (
    "已导入回执 {name}：确认上传 {acked} 个（之前已确认 {already} 个），应用下发更新 {applied} 条。"
)
NO_FOLDER: Final = "目录 {folder} 不存在：请插好U盘，或在目录栏改成U盘的挂载目录。"
NO_RETURN: Final = "目录 {folder} 中没有本站（{station}）的回执文件 updates-{station}-….json。"
FAILED: Final = "未完成：{error}"


def remembered_folder(services: Any) -> str:
    return str(services.store.setting(S_FOLDER) or DEFAULT_FOLDER)


def _remember(services: Any, folder: Path) -> None:
    with services.store.write() as conn:
        services.store.set_setting(conn, S_FOLDER, str(folder))


def export_to(services: Any, folder_text: str) -> str:
    """Write the bundle into the folder (runs in a worker thread)."""
    from sync.bundle import export_outbox

    folder = Path(folder_text.strip() or DEFAULT_FOLDER).expanduser()
    if not folder.is_dir():
        return NO_FOLDER.format(folder=folder)
    try:
        report = export_outbox(services.store, folder, now=services.now())
    except Exception as exc:  # NotEnrolled, OSError (stick pulled, read-only): say it, lose nothing
        return FAILED.format(error=getattr(exc, "message_zh", None) or str(exc) or type(exc).__name__)
    _remember(services, folder)
    if not report.envelopes:
        return EXPORT_EMPTY.format(path=report.path)
    return EXPORT_DONE.format(n=report.envelopes, path=report.path)


def import_from(services: Any, folder_text: str) -> str:
    """Import the newest return bundle for this station found in the folder (worker thread)."""
    from sync.bundle import import_updates

    folder = Path(folder_text.strip() or DEFAULT_FOLDER).expanduser()
    station = services.station.station_id
    if not folder.is_dir():
        return NO_FOLDER.format(folder=folder)
    found = sorted(folder.glob(f"updates-{station}-*.json"))
    if not found:
        return NO_RETURN.format(folder=folder, station=station)
    try:
        report = import_updates(services.store, found[-1])
    except Exception as exc:  # BundleError (wrong station, bad signature), NotEnrolled
        return FAILED.format(error=str(exc) or type(exc).__name__)
    _remember(services, folder)
    return IMPORT_DONE.format(
        name=found[-1].name, acked=report.acked, already=report.already, applied=report.updates_applied
    )
