#!/usr/bin/env python3
"""Copies measured tables into README.md, so the manual quotes the last run.

  tools/readme-tables.py bench    tools/bench/RESULTS.md (after `make bench`)
                                  into the Benchmarks section, from "Measured
                                  with this tree's seep" to the section's end
  tools/readme-tables.py detect   tools/eval-detect.md (after `make
                                  eval-detect`) into the detector's Evaluation
                                  section, between its two marker comments
  --check (before the mode)       change nothing; exit 1 when README.md's
                                  tables are not the source's (`make check`)
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


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


def bench(readme):
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
    s = readme
    start = s.index("Measured with this tree's seep")
    m = re.compile(r"\n#{1,3} ").search(s, start)
    end = m.start() + 1 if m else len(s)
    return s[:start] + "\n\n".join(parts) + "\n" + ("\n" if m else "") + s[end:]


DETECT_BEGIN = "<!-- tables from tools/eval-detect.md: tools/readme-tables.py detect -->"
DETECT_END = "<!-- end of the tables from tools/eval-detect.md -->"


def table_from(part, i):
    """The table that starts at the first table row at or after I."""
    j = part.index("\n|", i - 1) + 1
    k = part.find("\n\n", j)
    return part[j:k if k >= 0 else len(part)].strip()


def captioned(part, caption):
    """The line of PART that starts with CAPTION, and the table under it."""
    i = part.index("\n" + caption) + 1
    line = part[i:part.index("\n", i)]
    return line + "\n\n" + table_from(part, i + len(line))


def seed_set(part, title):
    """One seed set's summary, per-kind and pattern tables."""
    size = re.search(r"\n(\d+ series \(.*)", part).group(1)
    out = ["#### " + title, size + ":", table_from(part, part.index("| detector | precision"))]
    for caption in ("Recall per leak kind", "False positives per non-leak kind", "Pattern confusion"):
        out.append(captioned(part, caption))
    return out


def detect(readme):
    res = open(os.path.join(ROOT, "tools", "eval-detect.md")).read()
    held = res.index("\n## Held-out seeds")
    corpus = res.index("\n## Real-program corpus")
    real = res[corpus:]
    parts = seed_set(res[:held], "Tuning seeds") + seed_set(res[held:corpus], "Held-out seeds")
    parts += ["#### Real-program corpus",
              table_from(real, real.index("| run |")),
              table_from(real, real.index("| detector | precision")),
              captioned(real, "Per kind"),
              re.search(r"\n(seep's pattern matches .*)", real).group(1)]
    a = readme.index(DETECT_BEGIN) + len(DETECT_BEGIN)
    b = readme.index(DETECT_END, a)
    return readme[:a] + "\n\n" + "\n\n".join(parts) + "\n\n" + readme[b:]


def main(argv):
    modes = {"bench": (bench, "tools/bench/RESULTS.md"), "detect": (detect, "tools/eval-detect.md")}
    check = argv[1:2] == ["--check"]
    args = argv[2:] if check else argv[1:]
    if len(args) != 1 or args[0] not in modes:
        sys.stderr.write("usage: tools/readme-tables.py [--check] bench|detect\n")
        return 2
    fn, source = modes[args[0]]
    path = os.path.join(ROOT, "README.md")
    old = open(path).read()
    new = fn(old)
    if check:
        if new != old:
            sys.stderr.write("README.md's tables differ from %s: run tools/readme-tables.py %s\n"
                             % (source, args[0]))
            return 1
        return 0
    open(path, "w").write(new)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
