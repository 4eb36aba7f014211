#!/usr/bin/env python3
"""Write the two size-boundary fixtures of the retrieval corpus.

- 024-valid-exactly-64kib.json: a valid SUCCEEDED payload of exactly 65536 bytes (the limit is allowed).
- 025-too-large.json: the same payload padded to 70000 bytes (rule body.too_large);
- 026-too-large-by-one-byte.json: padded to 65537 bytes, one over the limit (rule body.too_large).
Apart from their size both are valid UTF-8, valid JSON and valid payloads, so body.too_large is the
only rule they break.

The output is deterministic; rerunning the script rewrites identical files.
Usage: python3 scripts/make_oversized_fixture.py
"""
import json
import pathlib

LIMIT = 65536
FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "Tests/DeclutterAPITests/Fixtures/retrieval"
PAYLOAD = {
    "status": "SUCCEEDED",
    "images": ["https://cdn.iacrea.com/declutter/3f2b8c1e/result-1.jpg"],
    "generation_id": "3f2b8c1e-7a4d-4e9b-9c2a-1d5e6f7a8b9c",
    "debug_log": "",
}
LOG_LINE = "2025-11-24T22:10:03Z worker-7 step ok; "


def payload_of_size(size: int) -> bytes:
    """The payload with debug_log padded so the body (with its final newline) is exactly `size` bytes."""
    empty = (json.dumps(PAYLOAD) + "\n").encode("utf-8")
    missing = size - len(empty)
    assert missing >= 0, "size smaller than the unpadded payload"
    pad = (LOG_LINE * (missing // len(LOG_LINE) + 1))[:missing]
    body = (json.dumps({**PAYLOAD, "debug_log": pad}) + "\n").encode("utf-8")
    assert len(body) == size, (len(body), size)
    return body


def main() -> None:
    (FIXTURES / "024-valid-exactly-64kib.json").write_bytes(payload_of_size(LIMIT))
    (FIXTURES / "025-too-large.json").write_bytes(payload_of_size(70_000))
    (FIXTURES / "026-too-large-by-one-byte.json").write_bytes(payload_of_size(LIMIT + 1))


if __name__ == "__main__":
    main()
