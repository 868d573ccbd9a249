#!/usr/bin/env python3
"""Checks schemas/openapi.yaml: a valid OpenAPI 3.1 document (openapi-spec-validator), and, with --routes FILE,
that it names exactly the routes in FILE (one `METHOD /path` per line, as the server's tests write them)."""
import sys
from pathlib import Path

import yaml
from openapi_spec_validator import validate

root = Path(__file__).resolve().parent.parent
spec = yaml.safe_load((root / "schemas" / "openapi.yaml").read_text())
validate(spec)
routes = sorted(f"{m.upper()} {p}" for p, item in spec["paths"].items() for m in item if m in ("get", "post", "put", "delete"))
if len(sys.argv) == 3 and sys.argv[1] == "--routes":
    expected = sorted(l.strip() for l in Path(sys.argv[2]).read_text().splitlines() if l.strip())
    if expected != routes:
        print(f"openapi.yaml routes differ from the server's:\n  spec:   {routes}\n  server: {expected}")
        sys.exit(1)
print(f"ok: schemas/openapi.yaml is valid OpenAPI {spec['openapi']} with {len(routes)} operations")
