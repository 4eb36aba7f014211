"""Real images for the checks and benchmarks: PNGs made here, different for each seed."""

import os
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


def form(fields, files):
    """A multipart/form-data body and its content type: `fields` as (name, value) text parts, then `files` as
    (name, filename, content type, bytes) file parts."""
    boundary = "declutterd-form-" + os.urandom(16).hex()
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode() for name, value in fields]
    parts += [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
              f'Content-Type: {kind}\r\n\r\n'.encode() + data + b"\r\n" for name, filename, kind, data in files]
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"
