"""Real images for the checks and benchmarks: PNGs made here, different for each seed."""

import struct
import zlib


def png(width, height, seed):
    """A real RGB PNG: a gradient, different for each seed."""
    rows = b"".join(b"\x00" + bytes(value for x in range(width) for value in (x * 255 // width, y * 255 // height, seed * 97 % 256))
                    for y in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def form(fields, files, boundary="declutterd-bench-boundary"):
    """A multipart/form-data body: `fields` {name: text}, `files` [(part name, filename, bytes)]; and its Content-Type."""
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, filename, data in files:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f'Content-Type: image/png\r\n\r\n'.encode() + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"
