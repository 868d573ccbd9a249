#!/usr/bin/env python3
"""Validate JSON documents against the TherapyLedger JSON Schemas (draft 2020-12).

Usage:
  python3 scripts/validate_schemas.py [--expect-invalid] [--reasons REASONS] SCHEMA_NAME FILE...

SCHEMA_NAME is a file name relative to schemas/, e.g. submission.schema.json or
data/pump.implanted.schema.json. Each FILE is JSON Lines (one document per non-blank line)
or, if its name ends in .json, a single JSON document.

Every schema under schemas/ is checked against the draft 2020-12 metaschema and loaded into a
referencing.Registry keyed by its $id, so relative $refs between them resolve. Format checking
is on (the schemas use only "date").

Default mode: prints `FILE:LINE: PATH: MESSAGE` for every error of every invalid document,
exits 1 if any document is invalid, else prints `ok: N documents valid against SCHEMA` and exits 0.

--expect-invalid: for rejection tables. Exits 0 only if EVERY document is invalid; prints each
document that was unexpectedly valid.

--reasons REASONS (with --expect-invalid): REASONS has one field path per document, in order
(e.g. `data.fillMl`); each document's errors must name exactly that field and no other.

PATH is the field path: top-level fields by name (occurredAt), data fields as data.NAME, array
items as data.events[0]; for a missing required field or an unknown field, that field's own path.
"""
import argparse
import json
import sys
from pathlib import Path

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"


def load_registry():
    registry = Registry()
    by_file = {}
    for path in sorted(SCHEMAS.rglob("*.schema.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        Draft202012Validator.check_schema(contents)
        rel = path.relative_to(SCHEMAS).as_posix()
        sid = contents.get("$id")
        if sid != rel:
            sys.exit(f"{path}: $id {sid!r} should be its path relative to schemas/, {rel!r}")
        registry = registry.with_resource(sid, Resource.from_contents(contents, default_specification=DRAFT202012))
        by_file[rel] = contents
    return registry.crawl(), by_file


def format_path(parts):
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += ("." if out else "") + str(p)
    return out


def field_paths(error):
    """The field paths an error is about (the missing or unknown field itself where there is one)."""
    base = list(error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [k for k in error.validator_value if k not in error.instance]
        # jsonschema reports each missing property as its own error: keep the one this message names.
        missing = [k for k in missing if error.message.startswith(repr(k))] or missing
        return [format_path(base + [k]) for k in missing] or [format_path(base)]
    if error.validator == "additionalProperties" and isinstance(error.instance, dict) and error.validator_value is False:
        known = set(error.schema.get("properties", {}))
        extra = [k for k in error.instance if k not in known]
        return [format_path(base + [k]) for k in extra] or [format_path(base)]
    if error.validator in ("anyOf", "oneOf") and error.context:
        # Name the fields the first alternative wants (e.g. assessment: data.ashworth).
        first = [e for e in error.context if e.relative_schema_path and e.relative_schema_path[0] == 0]
        paths = []
        for e in first or error.context:
            for p in field_paths(e):
                if p not in paths:
                    paths.append(p)
        return paths
    return [format_path(base)]


def no_duplicates(pairs):
    obj = {}
    for k, v in pairs:
        if k in obj:
            raise ValueError(f"duplicate key {k!r}")
        obj[k] = v
    return obj


def reject_constant(name):
    raise ValueError(f"{name} is not JSON")


def documents(filename):
    """Yields (line number, parsed document or None, parse error or None)."""
    text = Path(filename).read_text(encoding="utf-8")
    if filename.endswith(".json"):
        chunks = [(1, text)]
    else:
        chunks = [(i, line) for i, line in enumerate(text.splitlines(), 1) if line.strip()]
    for n, chunk in chunks:
        try:
            yield n, json.loads(chunk, object_pairs_hook=no_duplicates, parse_constant=reject_constant), None
        except ValueError as e:
            yield n, None, f"not valid JSON: {e}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--expect-invalid", action="store_true", help="succeed only if every document is invalid")
    ap.add_argument("--reasons", help="with --expect-invalid: file of expected field paths, one per document")
    ap.add_argument("schema", metavar="SCHEMA_NAME")
    ap.add_argument("files", metavar="FILE", nargs="+")
    args = ap.parse_args()

    registry, by_file = load_registry()
    if args.schema not in by_file:
        sys.exit(f"unknown schema {args.schema!r}: expected one of {', '.join(sorted(by_file))}")
    validator = Draft202012Validator(by_file[args.schema], registry=registry,
                                     format_checker=Draft202012Validator.FORMAT_CHECKER)

    expected = None
    if args.reasons:
        expected = [l.strip() for l in Path(args.reasons).read_text(encoding="utf-8").splitlines() if l.strip()]

    total = invalid = 0
    unexpected_valid = []
    reason_mismatches = []
    for filename in args.files:
        for n, doc, parse_error in documents(filename):
            if parse_error:
                results = [("$", parse_error)]
            else:
                errors = sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))
                results = []
                for e in errors:
                    for p in field_paths(e):
                        if (p or "$", e.message) not in results:
                            results.append((p or "$", e.message))
            if results:
                invalid += 1
                if not args.expect_invalid:
                    for p, msg in results:
                        print(f"{filename}:{n}: {p}: {msg}")
            else:
                unexpected_valid.append(f"{filename}:{n}")
            if expected is not None:
                want = expected[total] if total < len(expected) else None
                got = sorted({p for p, _ in results})
                if got != [want]:
                    reason_mismatches.append(f"{filename}:{n}: expected errors on {want} only, got {got or 'none'}: "
                                             + "; ".join(m for _, m in results))
            total += 1

    if args.expect_invalid:
        for where in unexpected_valid:
            print(f"{where}: unexpectedly valid against {args.schema}")
        for m in reason_mismatches:
            print(m)
        if expected is not None and len(expected) != total:
            print(f"{args.reasons}: {len(expected)} reasons for {total} documents")
            reason_mismatches.append("count")
        if unexpected_valid or reason_mismatches or total == 0:
            return 1
        print(f"ok: all {total} documents invalid against {args.schema}" + (" for the expected fields" if expected else ""))
        return 0
    if invalid:
        return 1
    print(f"ok: {total} documents valid against {args.schema}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
