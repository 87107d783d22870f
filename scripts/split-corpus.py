#!/usr/bin/env python3
"""Writes each real-world query's half (`split = "tune"` or `"test"`) into the corpus files.

The half comes from the query's source thread only (src/eval.rs, `split_for`): the address
without its #fragment, ?query and trailing slash, lower-cased, http read as https; the lowest
bit of its 64-bit FNV-1a hash picks the half (0 tune, 1 test). All texts of one thread land in
the same half, and a thread never moves. `cargo test` checks that what is written is what the
rule gives, so run this after adding queries:

    python3 scripts/split-corpus.py tests/realworld

Only the standard library; it rewrites no line but the `split` lines it adds or corrects.
"""
import pathlib
import re
import sys
import tomllib


def thread_of(source: str) -> str:
    s = source.strip().split("#", 1)[0].split("?", 1)[0].rstrip("/").lower()
    return "https://" + s[len("http://"):] if s.startswith("http://") else s


def split_for(source: str) -> str:
    h = 0xCBF29CE484222325
    for b in thread_of(source).encode():
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return "tune" if h & 1 == 0 else "test"


SOURCE = re.compile(r'^source\s*=\s*"([^"]*)"\s*$')
SPLIT = re.compile(r"^split\s*=")


def fix(path: pathlib.Path) -> int:
    text = path.read_text(encoding="utf-8")
    queries = tomllib.loads(text).get("query", [])
    lines = text.split("\n")
    out, changed, seen, pending = [], 0, 0, None
    for line in lines:
        if line.strip() == "[[query]]":
            seen += 1
        if SPLIT.match(line):
            continue  # rewritten after the source line
        out.append(line)
        m = SOURCE.match(line)
        if m:
            half = split_for(m.group(1))
            out.append(f'split = "{half}"')
    new = "\n".join(out)
    if any("source" not in q for q in queries):
        missing = [q["text"][:60] for q in queries if "source" not in q]
        sys.exit(f"{path}: queries without a source: {missing}")
    check = tomllib.loads(new).get("query", [])
    assert len(check) == len(queries) == seen, path
    for q in check:
        assert q["split"] == split_for(q["source"]), (path, q["source"])
    if new != text:
        path.write_text(new, encoding="utf-8")
        changed = 1
    return changed


def main() -> None:
    files = []
    for arg in sys.argv[1:] or ["tests/realworld"]:
        p = pathlib.Path(arg)
        files += sorted(p.rglob("*.toml")) if p.is_dir() else [p]
    for f in files:
        if fix(f):
            print(f"{f}: split written")


if __name__ == "__main__":
    main()
