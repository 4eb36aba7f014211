"""Checks that a file is a real 8-bit RGB PNG of the given size, with nothing but the standard library.

Usage: check_png.py FILE WIDTH HEIGHT. Prints "ok" and exits 0, or exits 1 naming the first rule broken.
"""
import struct
import sys
import zlib


def check(data, width, height):
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "no PNG signature"
    position, idat, kinds = 8, b"", []
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length:position + 12 + length])
        assert zlib.crc32(kind + body) == crc, "bad CRC in " + kind.decode()
        if kind == b"IHDR":
            assert struct.unpack(">IIBBBBB", body) == (width, height, 8, 2, 0, 0, 0), "IHDR %r" % (struct.unpack(">IIBBBBB", body),)
        if kind == b"IDAT":
            idat += body
        kinds.append(kind.decode())
        position += 12 + length
    assert kinds[0] == "IHDR" and kinds[-1] == "IEND" and "IDAT" in kinds, "chunks %r" % kinds
    raw = zlib.decompress(idat)  # checks the deflate blocks and the Adler-32 too
    stride = 1 + 3 * width
    assert len(raw) == height * stride, "inflated to %d bytes, not %d" % (len(raw), height * stride)
    assert all(raw[row * stride] == 0 for row in range(height)), "a scanline's filter byte is not 0"


try:
    check(open(sys.argv[1], "rb").read(), int(sys.argv[2]), int(sys.argv[3]))
except AssertionError as failure:
    print(failure)
    sys.exit(1)
print("ok")
