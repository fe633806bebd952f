#!/usr/bin/env python3
"""Copies the tables of tools/bench/RESULTS.md into README.md's Benchmarks
section (from "Measured with this tree's seep" to the end of the section).
Run after `make bench` when the README is to quote the new run."""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def table_after(res, header):
    """The table of the section HEADER, with the line on seep's dropped
    stack copies that follows it where there is one."""
    i = res.index(header)
    j = res.index("\n| tool |", i)
    k = res.index("\n\n", j + 1)
    rest = res[k + 2:]
    if rest.startswith("Recorded allocations without a stack"):
        return res[j + 1:k] + "\n\n" + rest.split("\n", 1)[0]
    return res[j + 1:k]


def main():
    res = open(os.path.join(ROOT, "tools", "bench", "RESULTS.md")).read()
    gen = re.search(r"on (\d{4}-\d\d-\d\d \d\d:\d\d) UTC", res).group(1)
    i = res.index("## Against issue 14's targets")
    targets14 = res[i:res.index("## Against issue 4's targets", i)].strip().split("\n", 1)[1].strip()
    i = res.index("## Against issue 4's targets")
    targets = res[i:res.index("## Notes", i)].strip().split("\n", 1)[1].strip()
    parts = [
        "Measured with this tree's seep (sampling, uprobe sessions, probe placement by decoding), "
        "in one interleaved run (%s UTC); the full table, every run and the method are in "
        "[tools/bench/RESULTS.md](tools/bench/RESULTS.md)." % gen,
        "(a) malloc/free microbenchmark, ns per malloc+free pair:",
        table_after(res, "## (a) malloc/free microbenchmark"),
        "(b) redis-server, glibc malloc, server CPU per command:",
        table_after(res, "## (b) redis-server, glibc malloc"),
        "(b) redis-server, jemalloc (Debian's package), server CPU per command; the floor is at "
        "seep's offsets (malloc+7, free+48), the `free+0` row and bpftrace probe function "
        "entries, which the kernel must single-step:",
        table_after(res, "## (b) redis-server, jemalloc"),
        "(c) the microbenchmark traced together with N − 1 idle processes that map the same libc:",
        table_after(res, "## (c) many traced processes"),
        "Against issue 14's targets (stacks at the probe floor) — " + targets14,
        "Against issue 4's targets — " + targets,
    ]
    path = os.path.join(ROOT, "README.md")
    s = open(path).read()
    start = s.index("Measured with this tree's seep")
    m = re.compile(r"\n## ").search(s, start)
    end = m.start() + 1 if m else len(s)
    s = s[:start] + "\n\n".join(parts) + "\n" + ("\n" if m else "") + s[end:]
    open(path, "w").write(s)
    return 0


if __name__ == "__main__":
    sys.exit(main())
