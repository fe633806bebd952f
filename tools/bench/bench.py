#!/usr/bin/env python3
"""seep's overhead benchmark (make bench): seep against its peers.

  tools/bench/bench.py [--rounds N] [--redis-rounds N] [--only micro|redis|kernel|...]
                       [--tools NAME,...] [--seep PATH] [--out FILE] [--quick]

(a) micro: build/bench/mallocbench (a malloc/free loop) reports ns per
    malloc+free pair, untraced and under each tool.
(b) redis: redis-server on 127.0.0.1 driven by redis-benchmark (bounded in
    requests and time); server CPU time (utime+stime from /proc/PID/stat)
    per command, untraced and under each tool; a glibc-malloc redis built from
    Debian's source package and Debian's redis-server (jemalloc).
(d) kernel: `seep trace --kernel` on a fork/exec + file I/O load (a shell
    loop: exec /bin/true, copy, read and remove a file): wall time of the load
    untraced and traced (default sampling, and -s 1: a stack for every
    event), and the cost per kernel event from the BPF run-time statistics
    seep reports (run_time_ns / run_cnt over its ten programs).

Configurations run interleaved (A, B, C, A, B, C, ...); each traced result is
divided by the untraced result of the same round, and the table gives the
median and min-max over rounds. The table is printed and written to --out.

Every traced process uses a private copy of its allocator library (via
LD_LIBRARY_PATH), for every configuration alike: bpftrace 0.17 attaches
uprobes to every process that maps a library, and a private copy keeps its
probes (and their cost) out of the other processes on the machine.
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.join(ROOT, "build")
BB = os.path.join(BUILD, "bench")
SEEP = os.path.join(BUILD, "seep")
SEEP_BASE = None      # --seep-base
MALLOCBENCH = os.path.join(BB, "mallocbench")
FLOOR = os.path.join(BB, "floor")
MEMLEAK_BT = os.path.join(ROOT, "tools", "bench", "memleak.bt.in")
LIBC = "/lib/x86_64-linux-gnu/libc.so.6"
LIBJEMALLOC = "/lib/x86_64-linux-gnu/libjemalloc.so.2"
REDIS_GLIBC = os.path.join(BB, "redis-server-glibc")
REDIS_JEMALLOC = "/usr/bin/redis-server"
LOG = os.path.join(BB, "logs")
LOAD_AT_START = (0.0, 0.0, 0.0)


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def seep_has_sampling():
    """seep supports --sample-bytes (the --help of `seep trace` names it)."""
    try:
        out = subprocess.run([SEEP, "trace", "--help"], capture_output=True,
                             text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return "sample-bytes" in out.stdout + out.stderr


def private_lib(lib, tag):
    """A private copy of lib in its own directory; returns that directory."""
    d = os.path.join(BB, "lib-" + tag)
    os.makedirs(d, exist_ok=True)
    dst = os.path.join(d, os.path.basename(lib))
    if not os.path.exists(dst) or os.path.getsize(dst) != os.path.getsize(lib):
        shutil.copy2(lib, dst)
    return d


def wait_for(path, needle, timeout, proc=None):
    """Wait until needle appears in the file at path; False on timeout or exit."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with open(path, errors="replace") as f:
                if needle in f.read():
                    return True
        except FileNotFoundError:
            pass
        if proc is not None and proc.poll() is not None:
            return False
        time.sleep(0.05)
    return False


def stop(proc, sig=signal.SIGINT, timeout=30):
    """Signal a process we started (its own process group) and reap it."""
    if proc is None or proc.poll() is not None:
        return proc.returncode if proc else None
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        return proc.wait()


def spawn(argv, out, env=None):
    f = open(out, "w")
    return subprocess.Popen(argv, stdout=f, stderr=subprocess.STDOUT, env=env,
                            start_new_session=True)


class Tool:
    """A configuration: how to trace a running process (attach) or how to
    start one under the tool (wrap)."""

    def __init__(self, name, attach=None, wrap=None, ready=None, note=""):
        self.name, self.attach, self.wrap, self.ready, self.note = name, attach, wrap, ready, note


def make_tools(lib, kind, sampling, only=None):
    """The configurations for an allocator library lib (a private copy);
    kind is 'glibc' or 'jemalloc' (valgrind needs to be told of jemalloc)."""
    bt_script = os.path.join(BB, "memleak-%s.bt" % kind)
    with open(MEMLEAK_BT) as f:
        text = f.read().replace("@LIB@", lib)
    with open(bt_script, "w") as f:
        f.write(text)
    seep = [SEEP, "trace", "-f", "json", "-n", "3"]
    tools = [
        Tool("untraced"),
        Tool("empty uprobe (floor)",
             attach=lambda pid: [FLOOR, "-p", str(pid), "-l", lib], ready="ready"),
        Tool("empty uprobe + uretprobe",
             attach=lambda pid: [FLOOR, "-r", "-p", str(pid), "-l", lib], ready="ready"),
        Tool("empty uprobe + uretprobe, free+0",
             attach=lambda pid: [FLOOR, "-r", "-0", "-p", str(pid), "-l", lib], ready="ready"),
        Tool("seep exact",
             attach=lambda pid: seep + (["--sample-bytes", "1"] if sampling else []) + ["-p", str(pid)],
             ready="seep: tracing"),
        Tool("seep default",
             attach=(lambda pid: seep + ["-p", str(pid)]) if sampling else None,
             ready="seep: tracing"),
    ]
    if SEEP_BASE:
        # another build's seep (--seep-base), in the same interleaved rounds
        base = [SEEP_BASE] + seep[1:]
        tools.append(Tool("seep exact (baseline)",
                          attach=lambda pid: base + ["--sample-bytes", "1", "-p", str(pid)],
                          ready="seep: tracing"))
        tools.append(Tool("seep default (baseline)",
                          attach=(lambda pid: base + ["-p", str(pid)]) if sampling else None,
                          ready="seep: tracing"))
    tools += [
        Tool("bpftrace memleak.bt",
             attach=lambda pid: ["bpftrace", "-p", str(pid), bt_script], ready="ready"),
        Tool("heaptrack",
             wrap=lambda argv, tag: ["heaptrack", "-o", os.path.join(BB, "heaptrack-" + tag)] + argv),
        Tool("valgrind memcheck",
             wrap=lambda argv, tag: ["valgrind", "--tool=memcheck", "--leak-check=full", "-q"]
             + (["--soname-synonyms=somalloc=libjemalloc.so*"] if kind == "jemalloc" else [])
             + argv),
    ]
    if only:
        tools = [t for t in tools if t.name in only]
    return tools


def events_seen(tool, tlog):
    """Whether the tracer ran: bpftrace's count of allocations seen, 1 for
    seep's final report, -1 for tools that report nothing; None when it saw
    nothing (a run whose tracer saw nothing measured nothing)."""
    try:
        with open(tlog, errors="replace") as f:
            text = f.read()
    except FileNotFoundError:
        return None
    if tool.name.startswith("seep"):
        # sampled calls are not all recorded: a final report is the proof
        # that seep attached and ran to the end
        return 1 if re.search(r'"final":\s*true', text) else None
    elif tool.name.startswith("bpftrace"):
        counts = [int(x) for x in re.findall(r"^@allocs: (\d+)", text, re.M)]
    else:
        return -1
    return sum(counts) if counts and sum(counts) > 0 else None


def checked(tool, tlog, value):
    if value is None or not tool.attach:
        return value
    seen = events_seen(tool, tlog)
    if seen is None:
        log("  %s: the tracer reports no allocations seen; run discarded (see %s)" % (tool.name, tlog))
        return None
    return value


def run_tag(tool):
    """A configuration's name as it stands in log file names."""
    return re.sub(r"\W+", "_", tool.name)


def is_na(tool):
    return tool.name != "untraced" and tool.attach is None and tool.wrap is None


# --- (a) the microbenchmark ---------------------------------------------------

def micro_run(tool, libdir, args, tag):
    """One run: ns per malloc+free pair (all sizes), or None."""
    fifo = os.path.join(BB, "start.fifo")
    res = os.path.join(BB, "micro.out")
    for p in (fifo, res):
        if os.path.exists(p):
            os.unlink(p)
    os.mkfifo(fifo)
    env = dict(os.environ, LD_LIBRARY_PATH=libdir)
    argv = [MALLOCBENCH, "-t", str(args.micro_seconds), "-W", str(args.micro_warmup),
            "-n", "20000000", "-w", fifo, "-o", res]
    if tool.wrap:
        argv = tool.wrap(argv, tag)
    tlog = os.path.join(LOG, "micro-%s.log" % tag)
    prog = spawn(argv, os.path.join(LOG, "micro-%s.prog.log" % tag), env=env)
    tracer = None
    try:
        if tool.attach:
            time.sleep(0.05)
            tracer = spawn(tool.attach(prog.pid), tlog)
            if not wait_for(tlog, tool.ready, 60, tracer):
                log("  %s: tracer not ready (see %s)" % (tool.name, tlog))
                return None
            time.sleep(0.2)
        # opening the FIFO for writing lets the program start its loop
        fd = os.open(fifo, os.O_WRONLY)
        os.write(fd, b"g")
        os.close(fd)
        prog.wait(timeout=120)
    except subprocess.TimeoutExpired:
        log("  %s: program timed out" % tool.name)
        return None
    finally:
        stop(prog, signal.SIGKILL)
        stop(tracer)
    try:
        with open(res) as f:
            m = re.search(r"^all pairs \d+ ns_per_pair ([\d.]+)", f.read(), re.M)
        return checked(tool, tlog, float(m.group(1)) if m else None)
    except FileNotFoundError:
        return None


SCALE_BASE = "seep default, 1 process"


def scale_tools(idle, sizes):
    """(c): seep default on mallocbench plus N-1 idle processes (IDLE: their
    pids) that map the same libc, with per-process and shared probes."""
    seep = [SEEP, "trace", "-f", "json", "-n", "1"]

    def with_idle(n, shared):
        extra = ["--shared-probes"] if shared else []
        return lambda pid: seep + extra + ["-p", str(pid)] + [
            a for p in idle[:n - 1] for a in ("-p", str(p))]
    tools = [Tool("untraced"), Tool(SCALE_BASE, attach=with_idle(1, False), ready="seep: tracing")]
    for n in sizes:
        tools.append(Tool("seep default, %d processes" % n, attach=with_idle(n, False),
                          ready="seep: tracing"))
        tools.append(Tool("seep default, %d processes, --shared-probes" % n,
                          attach=with_idle(n, True), ready="seep: tracing"))
    return tools


# --- (b) redis ------------------------------------------------------------------

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def redis_cli(port, *cmd, timeout=10):
    out = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(port)] + list(cmd),
                         capture_output=True, text=True, timeout=timeout)
    return out.stdout


def redis_info(port):
    info = {}
    for line in redis_cli(port, "INFO").splitlines():
        if ":" in line:
            k, v = line.strip().split(":", 1)
            info[k] = v
    return info


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])     # utime, stime (fields 14, 15)


def redis_run(tool, server, libdir, args, tag):
    """One run: server CPU µs per command, commands/s, or None."""
    port = free_port()
    env = dict(os.environ, LD_LIBRARY_PATH=libdir)
    argv = [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--daemonize", "no", "--protected-mode", "yes",
            "--logfile", os.path.join(LOG, "redis-%s.server.log" % tag)]
    if tool.wrap:
        argv = tool.wrap(argv, tag)
    srv = spawn(argv, os.path.join(LOG, "redis-%s.wrap.log" % tag), env=env)
    tracer = None
    tlog = os.path.join(LOG, "redis-%s.log" % tag)
    result = None
    try:
        end = time.monotonic() + 60
        while time.monotonic() < end and srv.poll() is None:
            try:
                if redis_cli(port, "PING").strip() == "PONG":
                    break
            except subprocess.TimeoutExpired:
                pass
            time.sleep(0.1)
        else:
            log("  %s: redis did not start" % tool.name)
            return None
        pid = int(redis_info(port)["process_id"])
        if tool.attach:
            tracer = spawn(tool.attach(pid), tlog)
            if not wait_for(tlog, tool.ready, 60, tracer):
                log("  %s: tracer not ready (see %s)" % (tool.name, tlog))
                return None
            time.sleep(0.2)
        c0, t0 = int(redis_info(port)["total_commands_processed"]), cpu_ticks(pid)
        w0 = time.monotonic()
        load = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-q",
                "-c", str(args.redis_clients), "-P", str(args.redis_pipeline),
                "-n", str(args.redis_requests), "-r", "100000", "-d", str(args.redis_size),
                "-t", args.redis_tests]
        try:
            subprocess.run(load, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           timeout=args.redis_timeout)
        except subprocess.TimeoutExpired:
            pass    # bounded in time: the commands done so far are counted
        t1, w1 = cpu_ticks(pid), time.monotonic()
        c1 = int(redis_info(port)["total_commands_processed"])
        cmds = c1 - c0 - 1          # the INFO before the load
        if cmds <= 0:
            return None
        hz = os.sysconf("SC_CLK_TCK")
        result = (t1 - t0) / hz * 1e6 / cmds, cmds / (w1 - w0)
    finally:
        stop(tracer)
        try:
            redis_cli(port, "SHUTDOWN", "NOSAVE", timeout=30)
        except (subprocess.TimeoutExpired, OSError):
            pass
        stop(srv, signal.SIGTERM, timeout=60)
    return checked(tool, tlog, result)


# --- statistics and the table -------------------------------------------------------

def fmt(x, digits=2):
    if x is None:
        return "n/a"
    if abs(x) >= 100:
        return "%.0f" % x
    if abs(x) >= 10:
        return "%.1f" % x
    return "%.*f" % (digits, x)


def summarize(tools, rows, floor_name):
    """rows: list of per-round dicts name -> value. Per tool: values, ratios
    to the untraced run of the same round, ratios to the floor."""
    out = {}
    for t in tools:
        vals = [r[t.name] for r in rows if r.get(t.name) is not None]
        ratios = [r[t.name] / r["untraced"] for r in rows
                  if r.get(t.name) is not None and r.get("untraced")]
        added = [r[t.name] - r["untraced"] for r in rows
                 if r.get(t.name) is not None and r.get("untraced")]
        vs_floor = [r[t.name] / r[floor_name] for r in rows
                    if r.get(t.name) is not None and r.get(floor_name)]
        out[t.name] = (vals, ratios, added, vs_floor)
    return out


def med_range(xs, digits=2, suffix=""):
    if not xs:
        return "n/a"
    if len(xs) == 1:
        return fmt(xs[0], digits) + suffix
    return "%s%s (%s–%s)" % (fmt(statistics.median(xs), digits), suffix,
                              fmt(min(xs), digits), fmt(max(xs), digits))


def micro_table(tools, rows, base="empty uprobe (floor)", base_label="× floor"):
    s = summarize(tools, rows, base)
    lines = ["| tool | ns per malloc+free pair | ns added per pair | ns added per call | × untraced | %s |"
             % base_label,
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for t in tools:
        vals, ratios, added, vs_floor = s[t.name]
        if is_na(t) or not vals:
            lines.append("| %s | n/a | n/a | n/a | n/a | n/a |" % t.name)
            continue
        per_call = statistics.median(added) / 2 if added else None
        lines.append("| %s | %s | %s | %s | %s | %s |" % (
            t.name, med_range(vals), med_range(added) if t.name != "untraced" else "—",
            fmt(per_call) if t.name != "untraced" else "—",
            med_range(ratios, suffix="×") if t.name != "untraced" else "1×",
            med_range(vs_floor, suffix="×") if t.name != "untraced" else "—"))
    return "\n".join(lines)


def redis_table(tools, rows):
    cpu_rows = [{k: (v[0] if v else None) for k, v in r.items()} for r in rows]
    rps_rows = [{k: (v[1] if v else None) for k, v in r.items()} for r in rows]
    s = summarize(tools, cpu_rows, "empty uprobe (floor)")
    lines = ["| tool | server CPU µs per command | × untraced | × floor | commands/s |",
             "| --- | ---: | ---: | ---: | ---: |"]
    for t in tools:
        vals, ratios, _, vs_floor = s[t.name]
        rps = [r[t.name] for r in rps_rows if r.get(t.name) is not None]
        if is_na(t) or not vals:
            lines.append("| %s | n/a | n/a | n/a | n/a |" % t.name)
            continue
        lines.append("| %s | %s | %s | %s | %s |" % (
            t.name, med_range(vals), med_range(ratios, suffix="×") if t.name != "untraced" else "1×",
            med_range(vs_floor, suffix="×") if t.name != "untraced" else "—",
            "%.0f" % statistics.median(rps)))
    return "\n".join(lines)


def targets14(sections):
    """Issue 14's 'done when' criteria, from the medians of this run."""
    def med(rows, name, base, pick=lambda v: v):
        xs = [pick(r[name]) / pick(r[base]) for r in rows
              if r.get(name) is not None and r.get(base) is not None]
        return statistics.median(xs) if xs else None

    def added_ratio(rows, a, b, pick=lambda v: v):
        xs = [(pick(r[a]) - pick(r["untraced"])) / (pick(r[b]) - pick(r["untraced"]))
              for r in rows if all(r.get(k) is not None for k in (a, b, "untraced"))
              and pick(r[b]) != pick(r["untraced"])]
        return statistics.median(xs) if xs else None

    def verdict(x, ok):
        return "n/a" if x is None else ("%.2f: %s" % (x, "met" if ok(x) else "not met"))

    lines = []
    for name, tools, rows in sections:
        label = {"micro": "microbenchmark", "redis-glibc": "redis (glibc)",
                 "redis-jemalloc": "redis (jemalloc)"}.get(name)
        if not label:
            continue
        pick = (lambda v: v) if name == "micro" else (lambda v: v[0])
        x = med(rows, "seep exact", "empty uprobe + uretprobe", pick)
        lines.append("- %s, seep exact ÷ empty uprobe + uretprobe ≤ 1.25: %s"
                     % (label, verdict(x, lambda v: v <= 1.25)))
        x = added_ratio(rows, "bpftrace memleak.bt", "seep exact", pick)
        lines.append("- %s, bpftrace overhead ÷ seep exact overhead ≥ 3: %s"
                     % (label, verdict(x, lambda v: v >= 3)))
        x = med(rows, "seep default", "empty uprobe (floor)", pick)
        lines.append("- %s, seep default ÷ empty entry floor ≤ 1.15: %s"
                     % (label, verdict(x, lambda v: v <= 1.15)))
        prefix = "micro-" if name == "micro" else "redis-%s-" % name.split("-")[1]
        exact = [t for t in tools if t.name == "seep exact"]
        if exact:
            sh = stack_shares(prefix, exact[0], len(rows))
            if sh["lost"]:
                x = statistics.median(sh["lost"])
                lines.append("- %s, seep exact's recorded allocations without a stack = 0 %%: "
                             "%.2f %% (max %.2f %%): %s; degraded: %s by frame pointers, %s short "
                             "copies" % (label, x, max(sh["lost"]),
                                         "met" if max(sh["lost"]) == 0 else "not met",
                                         med_range(sh["fp"], suffix="%"),
                                         med_range(sh["short"], suffix="%")))
    return "\n".join(lines)


def targets(sections):
    """Issue 4's 'done when' criteria, from the medians of this run."""
    def med(rows, name, pick=lambda v: v, base=None):
        xs = [pick(r[name]) / (pick(r[base]) if base else 1) for r in rows
              if r.get(name) is not None and (base is None or r.get(base) is not None)]
        return statistics.median(xs) if xs else None

    def added_ratio(rows, a, b, pick=lambda v: v):
        """median over rounds of (a - untraced) / (b - untraced)"""
        xs = [(pick(r[a]) - pick(r["untraced"])) / (pick(r[b]) - pick(r["untraced"]))
              for r in rows if all(r.get(k) is not None for k in (a, b, "untraced"))
              and pick(r[b]) != pick(r["untraced"])]
        return statistics.median(xs) if xs else None

    def verdict(x, ok):
        return "n/a" if x is None else ("%.2f: %s" % (x, "met" if ok(x) else "not met"))

    lines = []
    for name, _, rows in sections:
        if name == "micro":
            x = med(rows, "seep default", base="empty uprobe (floor)")
            lines.append("- microbenchmark, seep default ÷ empty-probe floor (ns per pair) ≤ 1.2: %s"
                         % verdict(x, lambda v: v <= 1.2))
            x = added_ratio(rows, "bpftrace memleak.bt", "seep exact")
            lines.append("- microbenchmark, bpftrace overhead ÷ seep exact overhead (ns added) ≥ 3: %s"
                         % verdict(x, lambda v: v >= 3))
        elif name == "redis-glibc":
            x = med(rows, "seep default", pick=lambda v: v[0], base="untraced")
            lines.append("- redis (glibc), seep default × untraced server CPU ≤ 2.0: %s"
                         % verdict(x, lambda v: v <= 2.0))
            # the 2.0x is over a load whose floor is ~1.75x; this
            # load's floor differs, so the same margin over the floor too
            x = med(rows, "seep default", pick=lambda v: v[0], base="empty uprobe (floor)")
            lines.append("- redis (glibc), seep default ÷ empty-probe floor ≤ 1.14 (the issue's 2.0× "
                         "over its ~1.75× floor; this load's floor is in the table): %s"
                         % verdict(x, lambda v: v <= 2.0 / 1.75))
            x = added_ratio(rows, "bpftrace memleak.bt", "seep exact", pick=lambda v: v[0])
            lines.append("- redis (glibc), bpftrace overhead ÷ seep exact overhead (CPU added) ≥ 3: %s"
                         % verdict(x, lambda v: v >= 3))
        elif name == "redis-jemalloc":
            x = added_ratio(rows, "bpftrace memleak.bt", "seep exact", pick=lambda v: v[0])
            lines.append("- redis (jemalloc), bpftrace overhead ÷ seep exact overhead (CPU added): %s"
                         % ("n/a" if x is None else "%.2f" % x))
    return "\n".join(lines)


def seep_final_stats(path):
    """The stats of seep's last report in the log at PATH, or None."""
    try:
        text = open(path, errors="replace").read()
    except FileNotFoundError:
        return None
    stats = None
    for line in text.splitlines():
        if line.startswith("{") and '"stats"' in line:
            try:
                stats = json.loads(line).get("stats") or stats
            except ValueError:
                pass
    return stats


def stack_shares(prefix, tool, nrounds):
    """Per round, the shares (%) of seep's recorded allocations whose stack
    was lost (ringbuf_full), taken by frame pointers under back-pressure
    (stacks_frame_pointer), sent as a short copy (stack_copies_short) and
    walked in the kernel (stacks_walked), from the runs' final reports."""
    out = {"lost": [], "fp": [], "short": [], "walked": [], "joined": []}
    for rnd in range(1, nrounds + 1):
        st = seep_final_stats(os.path.join(LOG, "%s%d-%s.log" % (prefix, rnd, run_tag(tool))))
        if not st or not st.get("allocs"):
            continue
        drops, n = st.get("drops", {}), float(st["allocs"])
        out["lost"].append(100.0 * drops.get("ringbuf_full", 0) / n)
        out["fp"].append(100.0 * drops.get("stacks_frame_pointer", 0) / n)
        out["short"].append(100.0 * drops.get("stack_copies_short", 0) / n)
        out["walked"].append(100.0 * st.get("stacks_walked", 0) / n)
        if "walks_joined" in st:
            out["joined"].append(100.0 * st["walks_joined"] / n)
    return out


def seep_drops(prefix, tools, rows):
    """A line on the recorded allocations seep kept without a stack (ring
    buffer full, counted in its final report) and on the degradations that
    kept one, per seep configuration, from the logs of the runs named
    PREFIX + round + tool."""
    parts = []
    for t in tools:
        if not t.name.startswith("seep") or is_na(t):
            continue
        sh = stack_shares(prefix, t, len(rows))
        if sh["lost"]:
            parts.append("%s %s lost, %s by frame pointers, %s short copies, %s walked in the "
                         "kernel%s" % (t.name, med_range(sh["lost"], suffix="%"),
                                       med_range(sh["fp"], suffix="%"),
                                       med_range(sh["short"], suffix="%"),
                                       med_range(sh["walked"], suffix="%"),
                                       " (%s joining the last walk's outer frames)"
                                       % med_range(sh["joined"], suffix="%")
                                       if sh["joined"] else ""))
    if not parts:
        return ""
    return ("Recorded allocations without a stack (ring buffer full even for a short copy and "
            "no frame-pointer walk possible; counted in seep's report, the block kept), and the "
            "degradations that kept one (back-pressure: a 2 KiB copy, then the frame-pointer "
            "walk, marked in the report): " + "; ".join(parts) + ".")


def floor_probes(prefix):
    """The probe offsets the floor used, from its log of round 1."""
    try:
        with open(os.path.join(LOG, prefix + "1-empty_uprobe_floor_.log")) as f:
            return ", ".join(l.split(None, 1)[1].strip() for l in f if l.startswith("probe "))
    except (FileNotFoundError, IndexError):
        return "n/a"


def raw_table(tools, rows, pick=lambda v: v):
    head = "| round | " + " | ".join(t.name for t in tools) + " |"
    lines = [head, "|" + " --- |" * (len(tools) + 1)]
    for i, r in enumerate(rows, 1):
        lines.append("| %d | " % i + " | ".join(
            fmt(pick(r[t.name])) if r.get(t.name) is not None else "n/a" for t in tools) + " |")
    return "\n".join(lines)


# --- main ------------------------------------------------------------------------------

# --- (d) kernel mode ----------------------------------------------------------

KERNEL_CONFIGS = [
    ("untraced", None),
    ("seep --kernel (default sampling)", []),
    ("seep --kernel -s 1 (every stack)", ["-s", "1"]),
]


def kernel_load(iters, workdir):
    """The fork/exec + file I/O load: wall seconds for ITERS iterations."""
    script = ('i=0; while [ $i -lt %d ]; do /bin/true; cp /etc/services "$D/f"; '
              'cat "$D/f" > /dev/null; rm "$D/f"; i=$((i+1)); done' % iters)
    t0 = time.monotonic()
    subprocess.run(["/bin/sh", "-c", script], check=True, env=dict(os.environ, D=workdir))
    return time.monotonic() - t0


def kernel_run(extra, args, tag, workdir):
    """(load seconds, the final report or None) for one configuration."""
    if extra is None:
        return kernel_load(args.kernel_iters, workdir), None
    out = os.path.join(LOG, "kernel-%s.json" % tag)
    err = os.path.join(LOG, "kernel-%s.err" % tag)
    with open(out, "w") as fo, open(err, "w") as fe:
        proc = subprocess.Popen([SEEP, "trace", "--kernel", "-f", "json", "-n", "1"] + extra,
                                stdout=fo, stderr=fe, start_new_session=True)
    try:
        if not wait_for(err, "seep: tracing ", 30, proc):
            log("bench: seep --kernel did not start (see %s)" % err)
            return None, None
        secs = kernel_load(args.kernel_iters, workdir)
    finally:
        stop(proc)
    with open(out) as f:
        lines = [l for l in f.read().splitlines() if l.strip()]
    try:
        import json
        rep = json.loads(lines[-1]) if lines else None
    except ValueError:
        rep = None
    return secs, rep


def last_max(rows, name):
    """The site map's size in the last report of configuration NAME."""
    for r in reversed(rows):
        if name in r and r[name][1]:
            return (r[name][1].get("site_map") or {}).get("max")
    return None


def kernel_section(args):
    workdir = os.path.join(BB, "kload")
    os.makedirs(workdir, exist_ok=True)
    rows = []
    for rnd in range(1, args.rounds + 1):
        row = {}
        for name, extra in KERNEL_CONFIGS:
            secs, rep = kernel_run(extra, args, "%d-%s" % (rnd, "u" if extra is None else
                                                           "x".join(extra) or "d"), workdir)
            if secs is not None and (extra is None or rep is not None):
                row[name] = (secs, rep)
                log("kernel round %d/%d  %-36s %.3f s" % (rnd, args.rounds, name, secs))
        rows.append(row)
    out = ["## (d) kernel mode: `seep trace --kernel`", "",
           "The load: %d iterations of a /bin/sh loop that execs /bin/true, copies /etc/services "
           "into a file, reads it and removes it (fork/exec, slab, kmalloc and page-cache "
           "allocations); wall time of the whole loop. seep traces the whole system (no -p) "
           "while it runs; %d rounds, configurations interleaved; the ratio is to the untraced "
           "run of the same round. Cost per event: run_time_ns / run_cnt of seep's ten programs "
           "(BPF run-time statistics, on while seep runs), over the traced run." %
           (args.kernel_iters, len(rows)), "",
           "| configuration | load (s) | × untraced | events/s | ns per event | "
           "drops | recursion misses | site_map_full | sites pruned | site map used |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for name, extra in KERNEL_CONFIGS:
        secs = [r[name][0] for r in rows if name in r]
        ratios = [r[name][0] / r["untraced"][0] for r in rows if name in r and "untraced" in r]
        if not secs:
            out.append("| %s | n/a | | | | | | | | |" % name)
            continue
        if extra is None:
            out.append("| %s | %s | 1 | | | | | | | |" % (name, med_range(secs, 3)))
            continue
        ns, rates, drops, misses, full, pruned, used = [], [], [], [], [], [], []
        for r in rows:
            if name not in r:
                continue
            secs_r, rep = r[name]
            cnt = sum(p["run_cnt"] for p in rep["programs"])
            t = sum(p["run_time_ns"] for p in rep["programs"])
            if cnt:
                ns.append(t / cnt)
            if rep.get("elapsed_s"):
                rates.append(cnt / rep["elapsed_s"])
            drops.append(rep["drops_total"])
            misses.append(rep["recursion_misses_total"])
            full.append(sum(d.get("site_map_full", 0) for d in rep["drops"].values()))
            sm = rep.get("site_map") or {}
            pruned.append(sm.get("pruned", 0))
            used.append(sm.get("used", 0))
        out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s of %s |" % (
            name, med_range(secs, 3), med_range(ratios, 3, "×"),
            "%.0f" % statistics.median(rates) if rates else "n/a",
            med_range(ns, 0) if ns else "n/a",
            "%d" % statistics.median(drops), "%d" % statistics.median(misses),
            med_range(full, 0), med_range(pruned, 0), med_range(used, 0),
            (last_max(rows, name) or "?")))
    out += ["", "Per program (the last round of each configuration):", "",
            "| configuration | program | events | ns per event | recursion misses |",
            "|---|---|---|---|---|"]
    for name, extra in KERNEL_CONFIGS:
        last = next((r[name][1] for r in reversed(rows) if name in r and r[name][1]), None)
        for p in (last or {}).get("programs", []):
            out.append("| %s | %s | %d | %s | %d |" % (
                name, p["name"], p["run_cnt"],
                "%.0f" % p["ns_per_event"] if p["ns_per_event"] is not None else "n/a",
                p["recursion_misses"]))
    out += ["", "drops: every drop counter of every kind (frees_unseen is most of it: "
            "kfree_rcu's batched frees fire no tracepoint) plus the recursion misses.", ""]
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=5, help="microbenchmark rounds")
    ap.add_argument("--redis-rounds", type=int, default=3)
    ap.add_argument("--only", choices=["micro", "redis", "redis-glibc", "redis-jemalloc", "scale",
                                        "kernel"])
    ap.add_argument("--kernel-iters", type=int, default=3000, help="(d): iterations of the load")
    ap.add_argument("--scale", default="16,64", help="(c): numbers of traced processes")
    ap.add_argument("--tools", help="comma-separated configuration names (default: all)")
    ap.add_argument("--seep", help="the seep binary (default: build/seep)")
    ap.add_argument("--seep-base", help="another build's seep, run as 'seep exact (baseline)' and 'seep default (baseline)' "
                                        "in the same interleaved rounds (e.g. main's)")
    ap.add_argument("--out", default=os.path.join(ROOT, "tools", "bench", "RESULTS.md"))
    ap.add_argument("--micro-seconds", type=float, default=0.3, help="per block size")
    ap.add_argument("--micro-warmup", type=float, default=0.3)
    ap.add_argument("--redis-requests", type=int, default=20000, help="per redis-benchmark test (7 tests)")
    ap.add_argument("--redis-clients", type=int, default=10)
    ap.add_argument("--redis-tests", default="set,get,incr,lpush,lpop,sadd,hset",
                    help="redis-benchmark -t")
    ap.add_argument("--redis-size", type=int, default=64, help="redis-benchmark -d (value bytes)")
    ap.add_argument("--redis-pipeline", type=int, default=1)
    ap.add_argument("--redis-timeout", type=float, default=15, help="seconds per load")
    ap.add_argument("--quick", action="store_true", help="1 round each, short runs (development)")
    ap.add_argument("--from-log", metavar="FILE",
                    help="no new runs: render the tables from the per-run lines a run printed "
                         "on stderr (FILE), with the per-run logs it left in build/bench/logs "
                         "(a run cut short, e.g. before its kernel section)")
    ap.add_argument("--started", help="with --from-log: when that run started, "
                                      "'YYYY-MM-DD HH:MM' (UTC)")
    ap.add_argument("--start-load", help="with --from-log: the load average when it started, "
                                         "'1m/5m/15m'")
    args = ap.parse_args()
    if args.quick:
        args.rounds, args.redis_rounds = 1, 1
        args.micro_seconds, args.redis_requests, args.redis_timeout = 0.1, 3000, 5
        args.kernel_iters = 300
    if args.seep:
        global SEEP
        SEEP = os.path.abspath(args.seep)
    if args.seep_base:
        global SEEP_BASE
        SEEP_BASE = os.path.abspath(args.seep_base)
    if os.geteuid() != 0:
        log("bench: tracing needs root (uprobes need CAP_SYS_ADMIN)")
        return 1
    os.makedirs(LOG, exist_ok=True)
    only = args.tools.split(",") if args.tools else None
    sampling = seep_has_sampling()
    started = datetime.datetime.now(datetime.timezone.utc)
    global LOAD_AT_START
    LOAD_AT_START = os.getloadavg()
    log("bench: seep %s --sample-bytes; logs in %s" %
        ("supports" if sampling else "does not support (seep default: n/a)", LOG))

    if args.only == "kernel":
        md = kernel_section(args)
        print(md)
        if not args.quick:
            path = os.path.join(ROOT, "tools", "bench", "RESULTS-kernel.md")
            with open(path, "w") as f:
                f.write(md)
            log("bench: table written to %s" % path)
        return 0

    if args.from_log:
        return from_log(args, sampling, only)

    sections = []
    if args.only in (None, "micro"):
        libdir = private_lib(LIBC, "glibc")
        tools = make_tools(os.path.join(libdir, "libc.so.6"), "glibc", sampling, only)
        rows = []
        for rnd in range(1, args.rounds + 1):
            row = {}
            for t in tools:
                if is_na(t):
                    continue
                row[t.name] = micro_run(t, libdir, args, "%d-%s" % (rnd, run_tag(t)))
                log("micro round %d/%d  %-34s %s ns/pair" % (rnd, args.rounds, t.name, fmt(row[t.name])))
            rows.append(row)
        sections.append(("micro", tools, rows))

    for kind, server, lib in (("glibc", REDIS_GLIBC, LIBC), ("jemalloc", REDIS_JEMALLOC, LIBJEMALLOC)):
        if args.only not in (None, "redis", "redis-" + kind):
            continue
        if not os.path.exists(server):
            log("bench: '%s' missing; skipping the %s redis" % (server, kind))
            continue
        libdir = private_lib(lib, kind)
        tools = make_tools(os.path.join(libdir, os.path.basename(lib)), kind, sampling, only)
        rows = []
        for rnd in range(1, args.redis_rounds + 1):
            row = {}
            for t in tools:
                if is_na(t):
                    continue
                row[t.name] = redis_run(t, server, libdir, args,
                                        "%s-%d-%s" % (kind, rnd, run_tag(t)))
                v = row[t.name]
                log("redis-%s round %d/%d  %-34s %s" % (kind, rnd, args.redis_rounds, t.name,
                    "n/a" if v is None else "%.2f µs CPU/command, %.0f commands/s" % v))
            rows.append(row)
        sections.append(("redis-" + kind, tools, rows))

    if args.only in (None, "scale") and sampling:
        libdir = private_lib(LIBC, "glibc")
        sizes = [int(x) for x in args.scale.split(",")]
        env = dict(os.environ, LD_LIBRARY_PATH=libdir)
        idle = [spawn(["sleep", "3600"], os.devnull, env=env) for _ in range(max(sizes) - 1)]
        try:
            tools = scale_tools([p.pid for p in idle], sizes)
            if only:
                tools = [t for t in tools if t.name in only]
            rows = []
            for rnd in range(1, args.rounds + 1):
                row = {}
                for t in tools:
                    row[t.name] = micro_run(t, libdir, args,
                                            "scale-%d-%s" % (rnd, run_tag(t)))
                    log("scale round %d/%d  %-44s %s ns/pair" % (rnd, args.rounds, t.name,
                                                                 fmt(row[t.name])))
                rows.append(row)
            sections.append(("scale", tools, rows))
        finally:
            for p in idle:
                stop(p, signal.SIGKILL)

    md = render(sections, args, sampling, started)
    if args.only is None:
        md += "\n" + kernel_section(args)
    print(md)
    if args.out and not args.quick:
        with open(args.out, "w") as f:
            f.write(md)
        log("bench: table written to %s" % args.out)
    return 0


LOG_LINE = re.compile(r"^(micro|scale|redis-glibc|redis-jemalloc) round (\d+)/(\d+)  (.+?)\s+"
                      r"(n/a|([\d.]+) (?:ns/pair|µs CPU/command, ([\d.]+) commands/s))$")


def from_log(args, sampling, only):
    """Rebuilds the sections of a run from the lines it logged (values as
    logged: three significant digits) and renders them (--from-log)."""
    rows = {}
    with open(args.from_log, errors="replace") as f:
        for line in f:
            m = LOG_LINE.match(line.rstrip("\n"))
            if not m:
                continue
            sec, rnd, name = m.group(1), int(m.group(2)), m.group(4)
            val = None
            if m.group(6) is not None:
                val = (float(m.group(6)) if m.group(7) is None
                       else (float(m.group(6)), float(m.group(7))))
            rows.setdefault(sec, {}).setdefault(rnd, {})[name] = val
    sections = []
    for sec in ("micro", "redis-glibc", "redis-jemalloc", "scale"):
        if sec not in rows:
            continue
        if sec == "scale":
            tools = scale_tools([0] * 64, [int(x) for x in args.scale.split(",")])
        else:
            kind = "jemalloc" if sec == "redis-jemalloc" else "glibc"
            lib = LIBJEMALLOC if kind == "jemalloc" else LIBC
            tools = make_tools(os.path.join(BB, "lib-" + kind, os.path.basename(lib)), kind,
                               sampling, only)
        names = set(n for r in rows[sec].values() for n in r)
        tools = [t for t in tools if t.name in names or is_na(t)]
        sections.append((sec, tools, [rows[sec][r] for r in sorted(rows[sec])]))
        if sec == "micro":
            args.rounds = len(rows[sec])
        elif sec.startswith("redis"):
            args.redis_rounds = len(rows[sec])
    global LOAD_AT_START
    if args.start_load:
        LOAD_AT_START = tuple(float(x) for x in args.start_load.split("/"))
    started = (datetime.datetime.strptime(args.started, "%Y-%m-%d %H:%M").replace(
        tzinfo=datetime.timezone.utc) if args.started else datetime.datetime.now(datetime.timezone.utc))
    md = render(sections, args, sampling, started)
    print(md)
    if args.out:
        with open(args.out, "w") as f:
            f.write(md)
        log("bench: table written to %s" % args.out)
    return 0


def render(sections, args, sampling, started):
    load = os.getloadavg()
    out = ["# seep benchmarks", "",
           "Generated by `make bench` (tools/bench/bench.py) on %s UTC; %s, kernel %s, %d CPUs; "
           "load average at the start %.2f/%.2f/%.2f, at the end %.2f/%.2f/%.2f. seep (`%s`) %s "
           "`--sample-bytes`%s." % (
               started.strftime("%Y-%m-%d %H:%M"), distro(), platform.release(), os.cpu_count(),
               LOAD_AT_START[0], LOAD_AT_START[1], LOAD_AT_START[2], load[0], load[1], load[2], os.path.relpath(SEEP, ROOT),
               "supports" if sampling else "does not support",
               "" if sampling else ", so *seep exact* is today's seep (it records every allocation) "
               "and *seep default* is n/a"),
           "",
           "Medians over interleaved rounds (every configuration once per round, in table order), "
           "min–max in parentheses; ratios are to the untraced run of the same round. "
           "The machine is shared: other engineers compile and run tests on the same 2 vCPUs "
           "while this runs, so single runs are noisy; compare ratios, not absolute numbers.",
           ""]
    names = {
        "micro": "## (a) malloc/free microbenchmark",
        "redis-glibc": "## (b) redis-server, glibc malloc (built from Debian's source package, `make MALLOC=libc`)",
        "redis-jemalloc": "## (b) redis-server, jemalloc (Debian's redis-server 7.0.15, libjemalloc.so.2)",
        "scale": "## (c) many traced processes: per-process or shared probes",
    }
    for name, tools, rows in sections:
        out += [names[name], ""]
        if name == "micro":
            out += ["`mallocbench`: malloc(s) + write one byte + free, s in 16, 128, 1024, 8192 bytes, "
                    "%.1f s per size after a %.1f s warm-up; %d rounds. ns per pair is total time over total "
                    "pairs, all sizes; ns added per call is half the ns added per pair (one malloc, one free). "
                    "× floor is relative to the empty entry uprobes." % (
                        args.micro_seconds, args.micro_warmup, len(rows)), "",
                    "Floor probes: %s." % floor_probes("micro-"), "",
                    micro_table(tools, rows), "", seep_drops("micro-", tools, rows), "",
                    "<details><summary>ns per pair, every run</summary>", "",
                    raw_table(tools, rows), "", "</details>", ""]
        elif name == "scale":
            out += ["The microbenchmark traced by seep default together with N−1 idle processes "
                    "(`sleep`) that map the same libc, all given to one `seep trace` with -p. With "
                    "probes per process (the default) the kernel keeps one consumer per traced process "
                    "on every probe and runs through all of them at each hit; with `--shared-probes` "
                    "there is one consumer per probe and the BPF program looks the process up. "
                    "%d rounds; × 1 process is relative to seep default tracing the benchmark alone."
                    % len(rows), "",
                    micro_table(tools, rows, base=SCALE_BASE, base_label="× 1 process"), "",
                    "<details><summary>ns per pair, every run</summary>", "",
                    raw_table(tools, rows), "", "</details>", ""]
        else:
            out += ["redis-benchmark on 127.0.0.1: %d clients, pipeline %d, `-t %s` "
                    "× %d requests, 100000 random keys, %d-byte values, at most %.0f s per load; a fresh "
                    "server per run. Server CPU = utime+stime of the redis-server process over the load "
                    "(/proc/PID/stat) divided by the commands it processed (INFO "
                    "total_commands_processed); %d rounds." % (
                        args.redis_clients, args.redis_pipeline, args.redis_tests, args.redis_requests,
                        args.redis_size, args.redis_timeout, len(rows)), "",
                    "Floor probes: %s." % floor_probes("redis-%s-" % name.split("-")[1]), "",
                    redis_table(tools, rows), "",
                    seep_drops("redis-%s-" % name.split("-")[1], tools, rows), "",
                    "<details><summary>server CPU µs per command, every run</summary>", "",
                    raw_table(tools, rows, pick=lambda v: v[0]), "", "</details>", ""]
    out += ["## Against issue 14's targets", "",
            "Medians over rounds of per-round ratios; stack shares from seep exact's final "
            "reports, every round.", "", targets14(sections), "",
            "## Against issue 4's targets", "",
            "Medians over rounds of per-round ratios.", "", targets(sections), "",
            "## Notes", "",
            "- Microbenchmark ratios to untraced are large because an untraced malloc+free pair is "
            "~8 ns (glibc's tcache fast path); ns added per call is the number to compare.",
            "- Any probe on an instruction the kernel must single-step costs ~10 µs more than one it "
            "emulates: glibc's free begins with `test %rdi,%rdi` (single-stepped; free+9 `push %rbp` "
            "is emulated). In Debian's libjemalloc.so.2 neither malloc nor free begins with an "
            "emulated instruction (malloc: `cmp $0x1000,%rdi; ja`, free: ten movs, shifts and ands "
            "that leave %rdi alone, then `jne`). seep decodes each function (user/elf/placement.c) and "
            "probes the first emulated instruction that keeps the call's meaning: malloc+7, free+48, "
            "free+9 in glibc. The floor uses the same offsets; the `free+0` row and bpftrace (which "
            "probes function entries) show what offset 0 costs.",
            "- The redis load (7 command types, 64-byte values, 10 clients, no pipelining) puts the "
            "glibc floor at 1.8–2.1× depending on the run, at or above the ~1.75× of the load issue 4 quotes (whose exact "
            "parameters are not recorded): compare seep default with the floor as well as with "
            "untraced. `--redis-tests set,get` gives a floor of about 1.6–1.9× here.",
            "- heaptrack: only the traced process's CPU is counted; heaptrack_interpret, a second "
            "process, also uses CPU (on a 2-CPU machine it competes with the server and the client).",
            "- valgrind memcheck serializes the program on its JIT: its cost is per instruction, not "
            "per allocation.",
            "- Server CPU is read in clock ticks (%d Hz); an untraced load takes about a second of CPU "
            "or more." % os.sysconf("SC_CLK_TCK"),
            "- Every configuration runs the program with a private copy of its allocator library "
            "(LD_LIBRARY_PATH): bpftrace 0.17 attaches uprobes to every process mapping a library, "
            "even with -p; the copy keeps its probes out of other processes.",
            "- A run whose tracer did not report (seep: no final report; bpftrace: no allocation "
            "counted in @allocs) is discarded; runs are bounded (mallocbench by time per size, redis-benchmark by count and "
            "by a timeout, counting the commands actually processed).",
            "",
            "## The configurations", "",
            "- **untraced**: the program as is (with the same private copy of its allocator library "
            "as every other configuration).",
            "- **empty uprobe (floor)**: `build/bench/floor` (tools/bench/floor.c, a libbpf program) "
            "attaches empty BPF programs to malloc, calloc, realloc and free of the allocator, in the "
            "traced process only, at the offsets seep chooses (the first instruction the kernel emulates: "
            "glibc's free+9 past its NULL check, jemalloc's malloc+7 and free+48). The floor for any "
            "tracer that probes every call.",
            "- **empty uprobe + uretprobe**: the same plus empty return probes on malloc, calloc, realloc "
            "(what an exact tracer that needs the returned address pays at the least).",
            "- **empty uprobe + uretprobe, free+0**: the same with free probed at its first instruction, "
            "where bcc's memleak and the bpftrace script probe it.",
            "- **seep exact**: `seep trace -p PID -f json%s` (records every allocation, with stacks)." % (
                " --sample-bytes 1" if sampling else ""),
            "- **seep default**: `seep trace -p PID -f json` with its default sampling%s." % (
                "" if sampling else " (n/a: this seep has no `--sample-bytes`)"),
            "- **bpftrace memleak.bt**: tools/bench/memleak.bt.in (bpftrace 0.17), the work bcc's memleak "
            "does per call: a map of live blocks by address with size and stack, bytes per stack.",
            "- **heaptrack**: `heaptrack PROGRAM` (LD_PRELOAD; the program is started under it). "
            "Only the traced process's CPU is counted, not heaptrack_interpret's.",
            "- **valgrind memcheck**: `valgrind --tool=memcheck --leak-check=full` (started under it; "
            "for jemalloc `--soname-synonyms=somalloc=libjemalloc.so*` so memcheck replaces jemalloc's "
            "functions).",
            ""]
    return "\n".join(out)


def distro():
    try:
        with open("/etc/os-release") as f:
            m = re.search(r'^PRETTY_NAME="?([^"\n]*)', f.read(), re.M)
            return m.group(1) if m else "Linux"
    except OSError:
        return "Linux"


if __name__ == "__main__":
    sys.exit(main())
