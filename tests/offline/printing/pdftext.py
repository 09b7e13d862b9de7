"""A small PDF text extractor for tests: inflate streams, map glyph ids back through ToUnicode.

fpdf2 writes TrueType text as 2-byte glyph ids (`<0012003A> Tj`) with one ToUnicode CMap per
font; the content stream switches fonts with `/Fn size Tf`. This reverses exactly that, so a
test can assert that the receipt number is printed as text and which font drew it.
"""

from __future__ import annotations

import re
import zlib

OBJ = re.compile(rb"(\d+) 0 obj(.*?)endobj", re.S)
STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)


def _objects(pdf: bytes) -> dict[int, tuple[bytes, bytes | None]]:
    """object number -> (dictionary text, inflated stream or None)."""
    out: dict[int, tuple[bytes, bytes | None]] = {}
    for num, body in OBJ.findall(pdf):
        m = STREAM.search(body)
        data: bytes | None = None
        if m:
            raw = m.group(1)
            try:
                data = zlib.decompress(raw)
            except zlib.error:
                data = raw
            body = body[: m.start()]
        out[int(num)] = (body, data)
    return out


def _cmap(data: bytes) -> dict[int, str]:
    mapping: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
        for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            mapping[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", data, re.S):
        for lo, hi, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            base = int(dst, 16)
            for i, g in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                mapping[g] = chr(base + i)
    return mapping


def _font_maps(objs: dict[int, tuple[bytes, bytes | None]]) -> dict[bytes, dict[int, str]]:
    """Resource name (b'F1') -> glyph-id map, through /Font << /F1 n 0 R >> and /ToUnicode."""
    names: dict[bytes, int] = {}
    for body, _ in objs.values():
        for block in re.findall(rb"/Font\s*<<(.*?)>>", body, re.S):
            for name, ref in re.findall(rb"/(\w+)\s+(\d+) 0 R", block):
                names[name] = int(ref)
    maps: dict[bytes, dict[int, str]] = {}
    for name, ref in names.items():
        body = objs.get(ref, (b"", None))[0]
        m = re.search(rb"/ToUnicode\s+(\d+) 0 R", body)
        if m:
            data = objs.get(int(m.group(1)), (b"", None))[1] or b""
            maps[name] = _cmap(data)
    return maps


_ESC = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _literal(data: bytes, start: int) -> tuple[bytes, int]:
    """Decode the PDF literal string opening at data[start] == '('; return (bytes, end index)."""
    out, i, depth = bytearray(), start + 1, 1
    while i < len(data):
        c = data[i : i + 1]
        if c == b"\\":
            nxt = data[i + 1 : i + 2]
            if nxt in _ESC:
                out += _ESC[nxt]
                i += 2
            elif nxt.isdigit():
                m = re.match(rb"[0-7]{1,3}", data[i + 1 : i + 4])
                assert m is not None
                out.append(int(m.group(0), 8))
                i += 1 + len(m.group(0))
            else:
                out += nxt
                i += 2
            continue
        if c == b"(":
            depth += 1
        elif c == b")":
            depth -= 1
            if depth == 0:
                return bytes(out), i + 1
        out += c
        i += 1
    return bytes(out), i


def _glyphs(raw: bytes, cmap: dict[int, str]) -> str:
    return "".join(cmap.get(int.from_bytes(raw[k : k + 2], "big"), "") for k in range(0, len(raw) - 1, 2))


def extract_text(pdf: bytes) -> str:
    """All text shown by Tj operators, in content order, fonts switched by Tf; ET ends a line."""
    objs = _objects(pdf)
    maps = _font_maps(objs)
    parts: list[str] = []
    tf = re.compile(rb"/(\w+)\s+[\d.]+\s+Tf")
    for _, data in sorted(objs.items()):
        content = data[1]
        if not content or b"BT" not in content or b"begincmap" in content or b"/Image" in data[0]:
            continue  # an embedded photo is not text
        current: dict[int, str] = {}
        i = 0
        while i < len(content):
            c = content[i : i + 1]
            if c == b"(":
                raw, i = _literal(content, i)
                parts.append(_glyphs(raw, current))
                continue
            if c == b"<" and content[i + 1 : i + 2] != b"<":
                end = content.index(b">", i)
                parts.append(_glyphs(bytes.fromhex(content[i + 1 : end].decode()), current))
                i = end + 1
                continue
            if c == b"/":
                m = tf.match(content, i)
                if m:
                    current = maps.get(m.group(1), {})
                    i = m.end()
                    continue
            if content[i : i + 2] == b"ET":
                parts.append("\n")
            i += 1
    return "".join(parts)


def embedded_font_names(pdf: bytes) -> list[str]:
    return [m.decode() for m in re.findall(rb"/FontName\s*/([A-Za-z0-9+_-]+)", pdf)]
