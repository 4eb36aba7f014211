#!/usr/bin/env python3
"""Check config/retrieval.schema.json against the retrieval fixture corpus.

For every entry of Tests/DeclutterAPITests/Fixtures/retrieval/manifest.json:
- raw-body rules (body.too_large, body.not_utf8, body.not_json), which a schema cannot see: the file
  must really break that rule, and no raw rule checked before it (size, then UTF-8, then JSON);
- generation_id.mismatch needs the callback's context, which the schema lacks: the schema must accept;
- any other entry: the schema accepts if and only if the expected rule is null.
Every entry is also run through a small reference implementation of the validator's rules, which
lists *all* the rules the payload breaks: the first must be the manifest's rule, and there must be no
other (each invalid fixture breaks exactly one rule).
Corpus-wide: every rule code is covered, every alias appears in a valid fixture, there are at least
MIN_FIXTURES fixtures, and every .json file in the folder (but manifest.json) is listed.

Prints one line per mismatch, then "N passed, M failed"; exits 1 on any failure.
Needs the jsonschema package (4.x): pip install jsonschema
"""
import json
import pathlib
import re
import sys

from jsonschema import Draft202012Validator

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCHEMA_PATH = ROOT / "config/retrieval.schema.json"
CORPUS = ROOT / "Tests/DeclutterAPITests/Fixtures/retrieval"
MANIFEST = CORPUS / "manifest.json"

MAX_BODY = 65536
MIN_FIXTURES = 40
RAW_RULES = ["body.too_large", "body.not_utf8", "body.not_json"]
RULES = RAW_RULES + [
    "body.not_object",
    "status.missing",
    "status.invalid",
    "images.alias_conflict",
    "images.not_array",
    "images.invalid_url",
    "images.missing",
    "images.unexpected",
    "variations.alias_conflict",
    "variations.invalid",
    "generation_id.invalid",
    "generation_id.mismatch",
    "project_id.invalid",
]
STATUSES = ["STARTING", "PROCESSING", "SUCCEEDED", "FAILED"]
IMAGE_KEYS = ["images", "output", "image_urls"]
VARIATION_KEYS = ["variations", "variations_count", "nb_variations"]
MAX_URL = 2048
URL_TAIL_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/?")
HEX = set("0123456789abcdefABCDEF")
UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
FILE_NAME = re.compile(r"\d{3}-[a-z0-9]+(-[a-z0-9]+)*\.json")


def reject_constant(name):
    raise ValueError(f"{name} is not JSON")


def parse_strict(text):
    """RFC 8259 parse: Python's json module minus its NaN/Infinity extension."""
    return json.loads(text, parse_constant=reject_constant)


def raw_rules(raw):
    """Raw-body rules broken, in check order, plus the parsed document (or None if it cannot be parsed)."""
    broken = ["body.too_large"] if len(raw) > MAX_BODY else []
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return broken + ["body.not_utf8"], None
    try:
        return broken, (parse_strict(text),)
    except ValueError:
        return broken + ["body.not_json"], None


def decimal(text, digits):
    """A decimal number of 1..digits digits without leading zeros (a lone 0 is fine), else None."""
    if not (1 <= len(text) <= digits) or not all(c in "0123456789" for c in text):
        return None
    if len(text) > 1 and text[0] == "0":
        return None
    return int(text)


def is_ipv4(text):
    parts = text.split(".")
    return len(parts) == 4 and all(decimal(p, 3) is not None and decimal(p, 3) <= 255 for p in parts)


def is_dns_name(text):
    if not 1 <= len(text) <= 253:
        return False
    labels = text.split(".")
    ldh = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-")
    if not all(1 <= len(l) <= 63 and set(l) <= ldh and l[0] != "-" and l[-1] != "-" for l in labels):
        return False
    return labels[-1][0].isascii() and labels[-1][0].isalpha()


def ipv6_groups(text, ipv4_tail):
    """How many 16-bit groups a run of single-colon-separated groups stands for, else None."""
    if text == "":
        return 0
    pieces = text.split(":")
    count = 0
    for i, piece in enumerate(pieces):
        if ipv4_tail and i == len(pieces) - 1 and "." in piece:
            if not is_ipv4(piece):
                return None
            count += 2
        elif 1 <= len(piece) <= 4 and set(piece) <= HEX:
            count += 1
        else:
            return None
    return count


def is_ipv6(text):
    if text.count("::") > 1 or ":::" in text:
        return False
    if "::" not in text:
        return ipv6_groups(text, True) == 8
    left, right = text.split("::")
    left, right = ipv6_groups(left, False), ipv6_groups(right, True)
    return left is not None and right is not None and left + right <= 7


def is_url(value):
    """The daemon's URL rule (docs/contract.md, "URLs"), written independently of the schema's patterns."""
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_URL:
        return False
    if not all("!" <= c <= "~" for c in value):
        return False
    lowered = value[:8].lower()
    start = 8 if lowered.startswith("https://") else 7 if lowered.startswith("http://") else None
    if start is None:
        return False
    end = next((i for i in range(start, len(value)) if value[i] in "/?#"), len(value))
    authority, tail = value[start:end], value[end:]
    port = None
    if authority.startswith("["):
        close = authority.find("]")
        if close < 0 or not is_ipv6(authority[1:close]):
            return False
        rest = authority[close + 1:]
        if rest:
            if not rest.startswith(":"):
                return False
            port = rest[1:]
    else:
        host, colon, port_text = authority.partition(":")
        if colon:
            port = port_text
        if not (is_ipv4(host) or is_dns_name(host)):
            return False
    if port is not None and not (decimal(port, 5) is not None and 1 <= decimal(port, 5) <= 65535):
        return False
    i, fragment = 0, False
    while i < len(tail):
        c = tail[i]
        if c == "%":
            if not (i + 2 < len(tail) and tail[i + 1] in HEX and tail[i + 2] in HEX):
                return False
            i += 3
            continue
        if c == "#":
            if fragment:
                return False
            fragment = True
        elif c not in URL_TAIL_CHARS:
            return False
        i += 1
    return True


def is_uuid(value):
    return isinstance(value, str) and UUID.fullmatch(value) is not None


def is_count(value):
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value >= 0
    return isinstance(value, float) and value.is_integer() and value >= 0


def reference_rules(raw, expected):
    """Every rule the body breaks, in the validator's order (the validator reports the first)."""
    broken, parsed = raw_rules(raw)
    if parsed is None:
        return broken
    doc = parsed[0]
    if not isinstance(doc, dict):
        return broken + ["body.not_object"]
    status = doc.get("status")
    if status is None:
        broken.append("status.missing")
    elif not (isinstance(status, str) and status in STATUSES):
        broken.append("status.invalid")

    present = [k for k in IMAGE_KEYS if k in doc]
    if len(present) > 1:
        broken.append("images.alias_conflict")
    values = [doc[k] for k in present if doc[k] is not None]
    if any(not isinstance(v, list) for v in values):
        broken.append("images.not_array")
    lists = [v for v in values if isinstance(v, list)]
    if any(not is_url(u) for v in lists for u in v):
        broken.append("images.invalid_url")
    non_empty = any(len(v) > 0 for v in lists)
    if status == "SUCCEEDED" and not non_empty and not any(not isinstance(v, list) for v in values):
        broken.append("images.missing")
    if status != "SUCCEEDED" and non_empty:
        broken.append("images.unexpected")

    present = [k for k in VARIATION_KEYS if k in doc]
    if len(present) > 1:
        broken.append("variations.alias_conflict")
    if any(doc[k] is not None and not is_count(doc[k]) for k in present):
        broken.append("variations.invalid")

    generation = doc.get("generation_id")
    if generation is not None and not is_uuid(generation):
        broken.append("generation_id.invalid")
    elif generation is not None and expected is not None and generation.lower() != expected.lower():
        broken.append("generation_id.mismatch")
    project = doc.get("project_id")
    if project is not None and not is_uuid(project):
        broken.append("project_id.invalid")
    return broken


def check_entry(entry, validator):
    """Problems found with one manifest entry (empty list: it passes)."""
    name, rule, expected = entry.get("file"), entry.get("rule"), entry.get("expected_generation_id")
    if not isinstance(name, str) or not FILE_NAME.fullmatch(name):
        return [f"bad file name {name!r} (want NNN-short-name.json)"]
    path = CORPUS / name
    if not path.is_file():
        return ["file listed in the manifest but missing"]
    problems = []
    if rule is not None and rule not in RULES:
        problems.append(f"unknown rule code {rule!r}")
    if expected is not None and not is_uuid(expected):
        problems.append(f"expected_generation_id {expected!r} is not a UUID")
    if not isinstance(entry.get("note"), str) or not entry["note"]:
        problems.append("missing note")
    raw = path.read_bytes()

    broken, parsed = raw_rules(raw)
    if rule in RAW_RULES:
        raw_first = broken[0] if broken else None
        if raw_first != rule:
            problems.append(f"raw body: expected {rule}, first raw rule broken is {raw_first}")
    elif broken:
        problems.append(f"raw body breaks {broken[0]} but the manifest says {rule}")
    elif parsed is not None:
        errors = sorted(validator.iter_errors(parsed[0]), key=lambda e: list(e.absolute_path))
        accepted = not errors
        want_accept = rule is None or rule == "generation_id.mismatch"
        if accepted != want_accept:
            detail = "accepts" if accepted else "rejects (" + "; ".join(e.message[:80] for e in errors[:2]) + ")"
            problems.append(f"schema {detail} but manifest rule is {rule}")

    reference = reference_rules(raw, expected)
    if (reference[0] if reference else None) != rule:
        problems.append(f"reference validator reports {reference[0] if reference else None}, manifest says {rule}")
    if len(reference) > 1:
        problems.append(f"breaks more than one rule: {', '.join(reference)}")
    return problems


def check_corpus(entries):
    """Corpus-wide problems (coverage, listing)."""
    problems = []
    names = [e.get("file") for e in entries]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"manifest: {name} listed more than once")
    on_disk = {p.name for p in CORPUS.glob("*.json")} - {MANIFEST.name}
    for name in sorted(on_disk - set(names)):
        problems.append(f"manifest: {name} is in the folder but not listed")
    if len(entries) < MIN_FIXTURES:
        problems.append(f"manifest: {len(entries)} fixtures, want at least {MIN_FIXTURES}")
    used = {e.get("rule") for e in entries}
    for rule in RULES:
        if rule not in used:
            problems.append(f"coverage: no fixture for rule {rule}")
    valid_docs = []
    for e in entries:
        path = CORPUS / str(e.get("file"))
        if e.get("rule") is None and path.is_file():
            try:
                valid_docs.append(parse_strict(path.read_bytes().decode("utf-8")))
            except ValueError:
                pass
    for key in IMAGE_KEYS + VARIATION_KEYS:
        if not any(isinstance(d, dict) and key in d for d in valid_docs):
            problems.append(f"coverage: alias {key} never used in a valid fixture")
    for status in STATUSES:
        if not any(isinstance(d, dict) and d.get("status") == status for d in valid_docs):
            problems.append(f"coverage: no valid fixture with status {status}")
    return problems


def main():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    entries = json.loads(MANIFEST.read_text(encoding="utf-8"))
    if not isinstance(entries, list):
        print("manifest.json: not an array")
        return 1
    passed = failed = 0
    for entry in entries:
        problems = check_entry(entry, validator) if isinstance(entry, dict) else ["entry is not an object"]
        for problem in problems:
            print(f"{entry.get('file') if isinstance(entry, dict) else entry}: {problem}")
        if problems:
            failed += 1
        else:
            passed += 1
    corpus_problems = check_corpus([e for e in entries if isinstance(e, dict)])
    for problem in corpus_problems:
        print(problem)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or corpus_problems else 0


if __name__ == "__main__":
    sys.exit(main())
