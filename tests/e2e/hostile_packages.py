"""Deployment packages written byte by byte, as a hostile or broken client could send them: names the
zip module would clean (NUL, bytes that are not UTF-8, `..`, absolute paths), duplicates, symlinks,
sizes that lie, bombs, truncated and empty archives. Shared by the package-safety tests and the
reliability harness (`scripts/reliability`), which sends the whole `corpus()` through CreateFunction,
UpdateFunctionCode and PublishLayerVersion."""

import random
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

BOOTSTRAP = "#!/bin/sh\necho hello\n"
MIB = 1024 * 1024
FILE, DIRECTORY, SYMLINK = 0o100644, 0o040755, 0o120777
EXECUTABLE = 0o100755
# General purpose flag 11: the name is UTF-8.
UTF8_FLAG = 0x800
# Nothing, deflated: one empty final block with fixed Huffman codes.
EMPTY_DEFLATED = b"\x03\x00"


@dataclass
class Entry:
    """One zip entry as it goes on the wire. `content` is stored deflated unless `deflated` is given
    (raw deflate bytes, with `size` and `crc` of what they inflate to); `declared_size` overrides the
    uncompressed size written in both headers."""

    name: bytes
    content: bytes = b""
    mode: int = FILE
    deflated: bytes | None = None
    size: int | None = None
    crc: int | None = None
    declared_size: int | None = None
    flags: int = 0


def entry(name, content=b"", mode=FILE) -> Entry:
    name = name.encode() if isinstance(name, str) else name
    content = content.encode() if isinstance(content, str) else content
    flags = 0 if name.isascii() else UTF8_FLAG
    return Entry(name, content, mode, flags=flags)


def write_zip(entries) -> bytes:
    """A zip of `entries` (Entry objects) exactly as given: no name is cleaned, no duplicate dropped."""
    local, central = bytearray(), bytearray()
    for e in entries:
        if e.deflated is None and not e.content:
            data, size, crc = EMPTY_DEFLATED, 0, 0
        elif e.deflated is None:
            compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
            data = compressor.compress(e.content) + compressor.flush()
            size, crc = len(e.content), zlib.crc32(e.content)
        else:
            data, size, crc = e.deflated, e.size, e.crc
        declared = size if e.declared_size is None else e.declared_size
        # Version 2.0, flags, deflate, 1980-01-01 00:00, CRC, sizes, name length, no extra field.
        common = struct.pack(
            "<HHHHHIIIHH", 20, e.flags, 8, 0, 0x21, crc, len(data), declared, len(e.name), 0
        )
        offset = len(local)
        local += b"PK\x03\x04" + common + e.name + data
        # Made by Unix (3), version 2.0; no comment, disk 0, internal attributes 0, Unix mode above.
        central += (
            b"PK\x01\x02"
            + struct.pack("<H", 0x0314)
            + common
            + struct.pack("<HHHII", 0, 0, 0, e.mode << 16, offset)
            + e.name
        )
    count = len(entries)
    if count > 0xFFFF:
        return _zip64_end(local, central, count)
    end = b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, count, count, len(central), len(local), 0)
    return bytes(local + central + end)


def _zip64_end(local, central, count) -> bytes:
    """The end records of an archive with more than 65,535 entries (zip64)."""
    zip64_end_offset = len(local) + len(central)
    zip64_end = b"PK\x06\x06" + struct.pack(
        "<QHHIIQQQQ", 44, 45, 45, 0, 0, count, count, len(central), len(local)
    )
    locator = b"PK\x06\x07" + struct.pack("<IQI", 0, zip64_end_offset, 1)
    end = b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    return bytes(local + central + zip64_end + locator + end)


def build(entries) -> bytes:
    """A zip of (name, content, unix mode) entries, written as given (names are not cleaned)."""
    return write_zip([entry(name, content, mode) for name, content, mode in entries])


def with_bootstrap(*entries, bootstrap=BOOTSTRAP) -> bytes:
    """A zip of an executable `bootstrap` and `entries`."""
    return build([("bootstrap", bootstrap, EXECUTABLE), *entries])


def zeros(name, mib, declared_size=None) -> Entry:
    """An entry of `mib` MiB of zeros that costs about a thousandth of that on the wire: one deflated
    MiB, flushed so that it stands alone, repeated, then an empty final block."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(b"\0" * MIB) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    zero_mib = b"\0" * MIB
    for _ in range(mib):
        crc = zlib.crc32(zero_mib, crc)
    return Entry(
        name.encode(),
        deflated=block * mib + b"\x03\x00",
        size=mib * MIB,
        crc=crc,
        declared_size=declared_size,
    )


@dataclass
class Case:
    """One package of the corpus. `refused`: the start of the message lamina must refuse it with (400
    InvalidParameterValueException, at every use), or None when it is accepted as Lambda accepts it.
    `aims_at`: paths outside the data directory that unpacking it would write, which must never appear."""

    name: str
    package: bytes
    refused: str | None
    aims_at: list = field(default_factory=list)
    # For accepted packages: whether a function of it runs (it has a usable bootstrap).
    runs: bool = True


UNZIP_FAILED = "Could not unzip uploaded file."
EMPTY = "Uploaded file must be a non-empty zip"
TOO_LARGE = "Unzipped size must be smaller than 262144000 bytes"


def corpus(outside: Path, bootstrap=BOOTSTRAP):
    """Every hostile or broken package, with what lamina must answer. `outside` is a directory outside
    the data directory that the escaping packages aim at (it must stay empty); `bootstrap` is the
    content of the packages' bootstrap (a runtime, for packages that should run)."""
    aim = str(outside).lstrip("/")

    def runtime_and(*entries):
        return build([("bootstrap", bootstrap, EXECUTABLE), *entries])

    def runtime_and_raw(*raw_entries):
        return write_zip([entry("bootstrap", bootstrap, EXECUTABLE), *raw_entries])

    many = [Entry(f"f/{i}".encode()) for i in range(100_001)]
    whole = runtime_and(("data", random.Random(0).randbytes(64 * 1024), FILE))
    truncated = whole[: len(whole) // 2]
    return [
        Case("zip slip (`../` out of the package)", runtime_and(("../" * 24 + f"{aim}/slip", "x", FILE)),
             UNZIP_FAILED, [outside / "slip"]),
        Case("zip slip, one level (`../escaped`)", runtime_and(("../escaped", "x", FILE)), UNZIP_FAILED),
        Case("absolute path", runtime_and((f"/{aim}/absolute", "x", FILE)), UNZIP_FAILED, [outside / "absolute"]),
        Case("symlink escaping the package", runtime_and(("link", "../../../../../../etc/shadow", SYMLINK)),
             UNZIP_FAILED),
        Case("file written through a symlink to an absolute path",
             runtime_and(("out", f"/{aim}", SYMLINK), ("out/through-link", "x", FILE)),
             UNZIP_FAILED, [outside / "through-link"]),
        Case("symlink loop", runtime_and(("a", "b", SYMLINK), ("b", "a", SYMLINK)), UNZIP_FAILED),
        Case("duplicate names", runtime_and(("lib.so", "1", FILE), ("lib.so", "2", FILE)), UNZIP_FAILED),
        Case("NUL in a name", runtime_and_raw(entry(b"nul\0name")), UNZIP_FAILED),
        Case("name not UTF-8, flagged UTF-8", runtime_and_raw(Entry(b"caf\xe9\xff", flags=UTF8_FLAG)), UNZIP_FAILED),
        Case("name not UTF-8, not flagged", runtime_and_raw(Entry(b"caf\xe9\xff")), UNZIP_FAILED),
        Case("100,002 entries", runtime_and_raw(*many), UNZIP_FAILED),
        Case("empty zip", write_zip([]), EMPTY),
        Case("not a zip", b"this is not a zip file\n" * 64, UNZIP_FAILED),
        Case("truncated zip: its second half cut off", truncated, UNZIP_FAILED),
        Case("zip bomb: 1 GiB of zeros declared, 1 MB sent", runtime_and_raw(zeros("zeros", 1024)), TOO_LARGE),
        Case("entry declaring 1,000 bytes that inflates to 300 MiB",
             runtime_and_raw(zeros("liar", 300, declared_size=1000)), UNZIP_FAILED),
        Case("deep nesting: 1,000 directories", runtime_and(("d/" * 1000 + "deep.txt", "deep", FILE)), None),
        Case("a name of 4 KB", runtime_and(("n" * 4096, "long", FILE)), UNZIP_FAILED),
        Case("a path of 4 KB: 2,100 nested directories", runtime_and(("d/" * 2100 + "deep.txt", "deep", FILE)),
             UNZIP_FAILED),
        Case("bootstrap that is a directory", build([("bootstrap/", "", DIRECTORY), ("bootstrap/x", "x", FILE)]),
             None, runs=False),
        Case("no bootstrap", build([("main", bootstrap, EXECUTABLE)]), None, runs=False),
        Case("well-formed (the control)", runtime_and(), None),
    ]
