"""How many bytes of a zip file lie outside its entries.

zipfile reads a zip from its end, so it accepts any amount of data before the first entry (a
self-extracting archive's loader, or 2 GiB of junk) and up to 64 KiB after the end record. A
package is an ordinary zip: its local entries, its central directory and its end record cover
the whole file, bar a data descriptor's few bytes here and there.
"""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path
from typing import BinaryIO

LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, …, name length, extra field length
LOCAL_SIGNATURE = b"PK\x03\x04"
DESCRIPTOR_SIGNATURE = b"PK\x07\x08"
END_SIGNATURE = b"PK\x05\x06"
END_RECORD_BYTES = 22
MAX_COMMENT_BYTES = 0xFFFF
DATA_DESCRIPTOR_FLAG = 0x08
ZIP64_LIMIT = 0xFFFFFFFF


def bytes_outside_entries(path: Path, archive: zipfile.ZipFile) -> int:
    """Bytes of the file at `path` (opened as `archive`) that no entry, central directory or
    end record accounts for."""
    with path.open("rb") as raw:
        size = raw.seek(0, 2)
        spans = sorted(_entry_span(raw, entry) for entry in archive.infolist())
        spans.append((archive.start_dir, _end_of_directory(raw, size)))
    outside = position = 0
    for start, end in sorted(spans):
        outside += max(0, start - position)
        position = max(position, end)
    return outside + max(0, size - position)


def _entry_span(raw: BinaryIO, entry: zipfile.ZipInfo) -> tuple[int, int]:
    """Where an entry's local header, data and data descriptor lie."""
    raw.seek(entry.header_offset)
    header = raw.read(LOCAL_HEADER.size)
    end = entry.header_offset + LOCAL_HEADER.size + entry.compress_size
    if len(header) < LOCAL_HEADER.size:
        return entry.header_offset, end
    signature, name_length, extra_length = LOCAL_HEADER.unpack(header)
    if signature != LOCAL_SIGNATURE:  # zipfile refuses this entry when it reads it
        return entry.header_offset, end
    end += name_length + extra_length
    if entry.flag_bits & DATA_DESCRIPTOR_FLAG:
        raw.seek(end)
        end += _descriptor_bytes(entry, raw.read(4) == DESCRIPTOR_SIGNATURE)
    return entry.header_offset, end


def _descriptor_bytes(entry: zipfile.ZipInfo, signed: bool) -> int:
    zip64 = max(entry.file_size, entry.compress_size) >= ZIP64_LIMIT
    return (4 if signed else 0) + 4 + (16 if zip64 else 8)  # signature, CRC, two sizes


def _end_of_directory(raw: BinaryIO, size: int) -> int:
    """Where the end record (and its comment) ends, found as zipfile finds it."""
    tail_bytes = min(size, END_RECORD_BYTES + MAX_COMMENT_BYTES)
    raw.seek(size - tail_bytes)
    tail = raw.read(tail_bytes)
    last = tail[-END_RECORD_BYTES:]
    if last[:4] == END_SIGNATURE and last[-2:] == b"\0\0":
        return size
    at = tail.rfind(END_SIGNATURE)
    if at < 0:
        return size
    comment = int.from_bytes(tail[at + 20 : at + 22], "little")
    return size - tail_bytes + at + END_RECORD_BYTES + comment
