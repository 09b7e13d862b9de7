"""Photos of a batch list (R-APP-2, R-APP-9): the photo cell, or a file named by the ID number.

Photo studios deliver one file per person named by the ID number; a village assistant copies
them next to the list (or into a 照片 subfolder) and leaves the photo column empty. Every photo
is read safely (`offline.files`: under the list's folder or the operator's photo folder, size
cap, non-blocking) and fixed when it can be (`offline.validation.photo_fix`).
"""

from __future__ import annotations

from pathlib import Path

from offline.errors import Problem
from offline.services.batch_layout import row_problem

#: Where photos named by ID number are looked for when the photo cell is empty: the list's folder
#: and these subfolders (how a photo studio's files are usually copied next to the list).
PHOTO_SUBFOLDERS = ("照片", "photos", "photo")
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png")


def photo_folders(base_dir: Path, photo_dir: Path | None) -> PhotoFolders:
    """The operator's photo folder, else the list's folder and its usual photo subfolders."""
    if photo_dir is not None:
        return PhotoFolders([photo_dir])
    return PhotoFolders([base_dir, *(base_dir / name for name in PHOTO_SUBFOLDERS)])


class PhotoFolders:
    """Photo files named by ID number ('43010219900101123X.jpg'), indexed once per import."""

    def __init__(self, folders: list[Path]) -> None:
        self.folders = folders
        self._index: dict[str, Path] | None = None

    def find(self, id_number: str) -> Path | None:
        if self._index is None:
            self._index = {}
            for folder in self.folders:
                try:
                    names = sorted(p for p in folder.iterdir() if p.suffix.lower() in PHOTO_SUFFIXES)
                except OSError:
                    continue
                for path in names:
                    self._index.setdefault(path.stem.strip().upper(), path)
        return self._index.get(id_number.upper()) if id_number else None


def load_photo(
    v: dict[str, str],
    base_dir: Path,
    problems: list[Problem],
    id_number: str = "",
    folders: PhotoFolders | None = None,
) -> tuple[bytes | None, str, bool]:
    """The row's photo bytes, a note for the report ('' when nothing to say), and whether it was adjusted.

    The cell names the file relative to the list's folder; when empty, a file named by the row's
    ID number in the photo folder is used. The path must be a regular file under the list's
    folder (or in the photo folder the operator named), within the size cap, opened without
    blocking (`offline.files`): a cell naming /dev/zero or a FIFO is a row problem, not a hang.
    A photo that can be fixed is fixed (R-APP-2) and the row says "照片已自动调整".
    """
    from offline.files import PHOTO_CAP, FileRefused, read_capped
    from offline.validation.photo_fix import fix_photo

    name = v.get("照片", "")
    root: Path | None = base_dir
    note = ""
    if not name and folders is not None:
        found = folders.find(id_number)
        if found is None:
            return None, "", False
        name, root, note = str(found), None, f"照片按证件号码匹配：{found.name}"
    if not name:
        return None, "", False
    try:
        raw = read_capped(name, root=root, cap=PHOTO_CAP, what="照片")
    except FileRefused as exc:
        problems.append(row_problem("照片", exc.message_zh, "照片路径相对于名单文件所在的文件夹。"))
        return None, note, False
    fixed = fix_photo(raw)
    if fixed.data is None:
        problems.extend(fixed.problems)
        return None, note, False
    return fixed.data, "；".join(x for x in (note, fixed.note) if x), fixed.adjusted
