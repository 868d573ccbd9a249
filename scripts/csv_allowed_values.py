#!/usr/bin/env python3
"""Check (default) or fill (--write) the allowedValues of every enum column of schemas/csv/KIND.json.

A column of type "enum" lists its values in "allowedValues". Where a JSON Schema of the project defines the same
values, "allowedValuesSource" names it as FILE#/JSON/POINTER (relative to schemas/), and allowedValues must be a
copy of that enum (null left out: an empty CSV field is null). --write refreshes every copy from its source, e.g.
after a new event type or alert code; without it the script prints each difference and exits 1.
"""
import json
import sys
from pathlib import Path

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"


def resolve(source):
    file, _, pointer = source.partition("#")
    node = json.loads((SCHEMAS / file).read_text(encoding="utf-8"))
    for part in [p for p in pointer.split("/") if p]:
        node = node[int(part)] if isinstance(node, list) else node[part.replace("~1", "/").replace("~0", "~")]
    return [v for v in node if v is not None]


def main():
    write = "--write" in sys.argv[1:]
    problems = []
    for path in sorted((SCHEMAS / "csv").glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        changed = False
        for column in doc["columns"]:
            where = f"{path.relative_to(SCHEMAS.parent)}: {column['name']}"
            if column["type"] != "enum":
                if "allowedValues" in column:
                    problems.append(f"{where}: allowedValues on a column of type {column['type']}")
                continue
            source = column.get("allowedValuesSource")
            if source:
                wanted = resolve(source)
                if column.get("allowedValues") != wanted:
                    if write:
                        column["allowedValues"] = wanted
                        changed = True
                    else:
                        problems.append(f"{where}: allowedValues {column.get('allowedValues')} differ from {source} {wanted}")
            if not column.get("allowedValues"):
                problems.append(f"{where}: an enum column without allowedValues")
        if changed:
            path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
            print(f"updated {path.relative_to(SCHEMAS.parent)}")
    for p in problems:
        print(p)
    if problems:
        print("run `python3 scripts/csv_allowed_values.py --write` to copy the values from their sources")
        return 1
    print("ok: every enum column lists its allowed values")
    return 0


if __name__ == "__main__":
    sys.exit(main())
