#!/usr/bin/env python3
"""Cut the part of Lago's OpenAPI spec that fusion-billing implements.

Usage:
    python3 tools/openapi_subset.py [LAGO_OPENAPI_YAML] [--readme]

LAGO_OPENAPI_YAML defaults to ../shared/lago/openapi.yaml (the pre-bundled spec of
github.com/getlago/lago-openapi; its SOURCE.md beside it names the commit). Needs PyYAML.

The implemented operations are read from `IMPLEMENTED` in src/api/openapi.rs, the single
source of truth (adding a route is one line there plus re-running this script). Writes:

  fixtures/openapi/lago-subset.json  those operations, verbatim from Lago's spec, with every
                                     component they reference (transitively), the security
                                     scheme and the tags they use; served by the gateway at
                                     /api/v1/openapi.json and used by tests/api/openapi.rs
                                     to check the gateway's response shapes.
  fixtures/openapi/lago-paths.json   every (method, path) of Lago's spec, for the coverage
                                     list and for checking that IMPLEMENTED names only real
                                     Lago routes.

With --readme, also prints the Markdown coverage table for the README.
"""

import json
import os
import re
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUST_SOURCE = os.path.join(ROOT, "src", "api", "openapi.rs")
OUT_DIR = os.path.join(ROOT, "fixtures", "openapi")
DEFAULT_SPEC = os.path.join(ROOT, "..", "shared", "lago", "openapi.yaml")
METHODS = ("get", "post", "put", "patch", "delete")


def implemented():
    """(METHOD, path) pairs of `IMPLEMENTED` in src/api/openapi.rs, in order."""
    with open(RUST_SOURCE, encoding="utf-8") as f:
        text = f.read()
    block = re.search(r"pub const IMPLEMENTED: &\[\(&str, &str\)\] = &\[(.*?)\];", text, re.S)
    if not block:
        sys.exit(f"IMPLEMENTED not found in {RUST_SOURCE}")
    pairs = re.findall(r'\(\s*"([A-Z]+)"\s*,\s*"([^"]+)"\s*\)', block.group(1))
    if not pairs:
        sys.exit("IMPLEMENTED is empty")
    return pairs


def source_info(spec_path, spec):
    """Lago's spec version and the lago-openapi commit from SOURCE.md, if present."""
    info = {
        "repository": "https://github.com/getlago/lago-openapi",
        "path": "openapi.yaml",
        "version": spec["info"]["version"],
        "openapi": spec["openapi"],
        "license": spec["info"].get("license", {}).get("name"),
    }
    source_md = os.path.join(os.path.dirname(spec_path), "SOURCE.md")
    if os.path.exists(source_md):
        with open(source_md, encoding="utf-8") as f:
            text = f.read()
        commit = re.search(r"commit ([0-9a-f]{40})", text)
        date = re.search(r"commit [0-9a-f]{40} \((\d{4}-\d{2}-\d{2})\)", text)
        if commit:
            info["commit"] = commit.group(1)
        if date:
            info["commit_date"] = date.group(1)
    return info


def refs(node):
    """Every `$ref` string under node."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str):
                yield v
            else:
                yield from refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from refs(v)


def resolve(spec, ref):
    if not ref.startswith("#/"):
        sys.exit(f"external $ref not supported: {ref}")
    node = spec
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def subset(spec, ops, source):
    paths = {}
    for method, path in ops:
        item = spec["paths"].get(path)
        if item is None or method.lower() not in item:
            sys.exit(f"{method} {path} is not in Lago's spec")
        out = paths.setdefault(path, {})
        # Path-level parameters apply to every operation of the item.
        if "parameters" in item:
            out["parameters"] = item["parameters"]
        out[method.lower()] = item[method.lower()]
    # Transitive closure of component references.
    components = {}
    todo = list(refs(paths))
    seen = set()
    while todo:
        ref = todo.pop()
        if ref in seen:
            continue
        seen.add(ref)
        parts = ref[2:].split("/")
        if parts[0] != "components" or len(parts) != 3:
            sys.exit(f"unexpected $ref {ref}")
        node = resolve(spec, ref)
        components.setdefault(parts[1], {})[parts[2]] = node
        todo.extend(refs(node))
    components["securitySchemes"] = spec["components"]["securitySchemes"]
    components = {k: dict(sorted(v.items())) for k, v in sorted(components.items())}
    used_tags = {t for item in paths.values() for op in item.values()
                 if isinstance(op, dict) for t in op.get("tags", [])}
    return {
        "openapi": spec["openapi"],
        "info": spec["info"],
        "x-lago-source": source,
        "servers": spec["servers"],
        "security": spec["security"],
        "tags": [t for t in spec["tags"] if t["name"] in used_tags],
        "paths": paths,
        "components": components,
    }


def all_paths(spec, source):
    rows = []
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                op = item[method]
                rows.append({
                    "method": method.upper(),
                    "path": path,
                    "operationId": op.get("operationId"),
                    "tags": op.get("tags", []),
                    "summary": op.get("summary"),
                    "deprecated": bool(op.get("deprecated", False)),
                })
    return {"x-lago-source": source, "operations": rows}


def group_of(path):
    return path.strip("/").split("/")[0]


def coverage_table(paths_doc, ops):
    done = set(ops)
    groups = {}
    for row in paths_doc["operations"]:
        g = groups.setdefault(group_of(row["path"]), ([], []))
        key = (row["method"], row["path"])
        g[0 if key in done else 1].append(f"`{row['method']} {row['path']}`")
    total = len(paths_doc["operations"])
    lines = [
        f"Implemented: **{len(done)} of {total}** operations of Lago's API "
        f"({paths_doc['x-lago-source']['version']}), in "
        f"{sum(1 for g in groups.values() if g[0])} of {len(groups)} path groups.",
        "",
        "| Path group | Implemented | Not implemented |",
        "|---|---|---|",
    ]
    for name, (yes, no) in groups.items():
        lines.append(f"| `/{name}` | {'<br>'.join(yes) or '—'} | {'<br>'.join(no) or '—'} |")
    return "\n".join(lines)


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    spec_path = os.path.abspath(args[0] if args else DEFAULT_SPEC)
    with open(spec_path, encoding="utf-8") as f:
        spec = yaml.safe_load(f)
    ops = implemented()
    source = source_info(spec_path, spec)
    os.makedirs(OUT_DIR, exist_ok=True)
    sub = subset(spec, ops, source)
    paths_doc = all_paths(spec, source)
    for name, doc in (("lago-subset.json", sub), ("lago-paths.json", paths_doc)):
        with open(os.path.join(OUT_DIR, name), "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=2, ensure_ascii=False)
            f.write("\n")
    n_schemas = len(sub["components"].get("schemas", {}))
    print(f"{len(ops)} operations, {n_schemas} schemas -> fixtures/openapi/lago-subset.json; "
          f"{len(paths_doc['operations'])} Lago operations -> fixtures/openapi/lago-paths.json",
          file=sys.stderr)
    if "--readme" in sys.argv:
        print(coverage_table(paths_doc, ops))


if __name__ == "__main__":
    main()
