#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Turn one benchmark run into tables, ratio and instr lines, and plots.

Inputs: the Google Benchmark JSON (tlbf-bench), the instruction counts
(instr.txt: "op count" lines) and the simulator's JSON lines (one object
per design). Outputs on stdout:

  full   a table per operation (design, threads, ns/op, ratio to rwlock),
         the simulator's throughput, then the `ratio NAME VALUE` and
         `instr NAME COUNT` lines, then the verdicts against the targets
  quick  only the ratio and instr lines

and, in --outdir, one data file per plotted operation and plots.gp.
With --plots-from-summary SUMMARY it only writes those, from the tables of
a full run's summary.txt (the committed plots can be redrawn in a new
style without a new run: then run gnuplot plots.gp in --outdir).

ns/op is wall-clock time over the operations of all threads (inverse
throughput); with repetitions, the median. Ratios are baseline cost over
tlbflush cost (bigger is better); the floor ratios are floor cost over
tlbflush cost. Comparisons with a baseline design use the tlbflush design
through the same design interface (one indirect call per operation on
both sides); comparisons with a floor or with the materialised wake use
the library called directly (tlbflush-inline), as the floor is.
"""
import argparse
import json
import os
import sys

DESIGNS = ["tlbflush", "tlbflush-inline", "rwlock", "mutex-seqlock", "kvm-fifo",
           "materialize", "floor"]

# Operations shown in one table together (floors beside what they bound).
TABLES = [
    ("poll_idle", ["poll_idle", "floor_load"]),
    ("poll_new8", ["poll_new8"]),
    ("push1", ["push1", "floor_fetch_add"]),
    ("push8", ["push8"]),
    ("flush_entire", ["flush_entire"]),
    ("push_p999", ["push_p999"]),
    ("wake64", ["wake64", "wake64_mixed"]),
    ("push_set", ["push_set8", "push_set64"]),
    ("entry_exit", ["entry_exit"]),
    ("vpset", ["vpset_contains", "vpset_iter_sparse64", "vpset_iter_dense64",
               "vpset_iter_sparse4096", "vpset_iter_dense4096",
               "vpset_write_mask_sparse4096", "vpset_write_mask_dense4096"]),
]

# name -> (kind, target, comparison). Ratio targets are ">=", instr "<=".
TARGETS = [
    ("ratio", "poll_idle_vs_rwlock", 8),
    ("ratio", "poll_new8_vs_rwlock", 3),
    ("ratio", "push1_1t_vs_mutex_seqlock", 1.5),
    ("ratio", "push1_2t_vs_rwlock", 0.5),
    ("ratio", "push1_2t_vs_mutex_seqlock", 0.5),
    ("ratio", "push1_2t_vs_kvm_fifo", 0.5),
    ("ratio", "push_p999_4t_vs_mutex_seqlock", 5),
    ("ratio", "push_p999_4t_vs_rwlock", 3),
    ("ratio", "wake64_vs_materialize", 3),
    ("ratio", "push_set8_vs_kvm_fifo", 3),
    ("ratio", "push_set64_vs_kvm_fifo", 20),
    ("ratio", "wake64_mixed_vs_mutex_seqlock", 1.5),
    ("ratio", "entry_exit_vs_packed", 2),
    ("ratio", "sim_throughput_vs_rwlock", 2),
    ("ratio", "dsim_kicks_per_call_vs_mutex_seqlock", 1.2),
    ("ratio", "dsim_kicks_per_call_vs_kvm_fifo", 1.2),
    ("ratio", "invept_per_call_vs_mutex_seqlock", 10),
    ("ratio", "preempted_p999_vs_mutex_seqlock", 2),
    ("ratio", "preempted_p999_vs_rwlock", 2),
    ("ratio", "shared_writes_per_entry_vs_mutex_seqlock", 10),
    ("ratio", "shared_writes_per_call_vs_kvm_fifo", 2),
    ("ratio", "entry_exit_stats_off_vs_on", 0.5),
    ("ratio", "push1_stats_off_vs_on", 0.75),
    ("ratio", "fetch_add_floor_vs_push1_2t", 0.1),
    ("ratio", "load_floor_vs_poll_idle", 0.5),
] + [
    # dsim --matrix (deterministic), 16 initiators, costs x1: ahead in flush
    # calls per second and in line transfers per VP entry, no worse than
    # 1.5x in line transfers per flush call
    ("ratio", f"dsim_{m}_{v}vp_vs_{b}", t)
    for v in (64, 256) for b in ("rwlock", "mutex_seqlock", "kvm_fifo")
    for m, t in (("calls", 1), ("xfer_entry", 1), ("xfer_call", 0.67))
] + [
    ("instr", "poll_idle", 20),
    ("instr", "push1", 60),
    ("instr", "vpset_contains", 15),
    ("instr", "wake_decide", 25),
]


# What each ratio or count compares, shown under its line by bench-quick.
# Ratios: baseline cost over tlbflush cost (throughput: tlbflush over
# baseline), so bigger is better; instruction counts: smaller is better.
COMPARES = {
    "poll_idle_vs_rwlock": "idle poll, 2 threads: rwlock ns/op over tlbflush ns/op",
    "poll_new8_vs_rwlock": "poll that finds 8 new ranges, 1 thread: rwlock over tlbflush",
    "push1_1t_vs_mutex_seqlock": "push of 1 range, 1 thread: mutex-seqlock over tlbflush",
    "push1_2t_vs_rwlock": "push of 1 range, 2 threads: rwlock over tlbflush",
    "push1_2t_vs_mutex_seqlock": "push of 1 range, 2 threads: mutex-seqlock over tlbflush",
    "push1_2t_vs_kvm_fifo": "push of 1 range, 2 threads: kvm-fifo over tlbflush",
    "push_p999_4t_vs_mutex_seqlock": "99.9th percentile push latency, 4 threads on 2 cores: "
                                     "mutex-seqlock over tlbflush",
    "push_p999_4t_vs_rwlock": "99.9th percentile push latency, 4 threads on 2 cores: "
                              "rwlock over tlbflush",
    "wake64_vs_materialize": "wake decision over 64 VPs: a materialised VP bitmap over "
                             "the lazy set view (library inlined)",
    "push_set8_vs_kvm_fifo": "record one request of 1 range for 8 target VPs, 1 thread: "
                             "kvm-fifo (a FIFO per target, each under its lock) over tlbflush "
                             "(one ring push)",
    "push_set64_vs_kvm_fifo": "the same for 64 target VPs: kvm-fifo over tlbflush",
    "wake64_mixed_vs_mutex_seqlock": "wake of 64 VPs, 56 outside, 4 in the other VTL, 4 in the "
                                     "guest that polled past the request, 1 thread: "
                                     "mutex-seqlock (kicks those 4) over tlbflush (kicks none)",
    "preempted_p999_vs_mutex_seqlock": "shootdown-sim with producers preempted in their "
                                       "critical section (1 flush call in 2000, 2 ms; 4 initiators): "
                                       "99.9th percentile flush-call latency, mutex-seqlock "
                                       "over tlbflush",
    "preempted_p999_vs_rwlock": "the same: rwlock over tlbflush",
    "shared_writes_per_entry_vs_mutex_seqlock": "shootdown-sim --count-shared: writes to "
                                                "write-shared lines per guest entry, "
                                                "mutex-seqlock (its packed per-VP byte) over "
                                                "tlbflush (its own line only; inf if none)",
    "shared_writes_per_call_vs_kvm_fifo": "shootdown-sim --count-shared: writes to write-shared "
                                          "lines per flush call, kvm-fifo (every target's FIFO "
                                          "and lock) over tlbflush (one ring)",
    "entry_exit_stats_off_vs_on": "the VP's whole entry path on an idle ring (prepare entry, "
                                  "entry done, exit), 1 thread: without over with the counters "
                                  "and probes compiled in",
    "push1_stats_off_vs_on": "a flush call of 1 range to 8 VPs outside the guest "
                             "(tlbf_flush_handle and its counting), 1 thread: without over "
                             "with the counters and probes compiled in",
    "entry_exit_vs_packed": "VP entry + exit, 2 threads: the packed state word "
                            "(mutex-seqlock design) over tlbflush",
    "sim_throughput_vs_rwlock": "shootdown-sim flush calls per second: tlbflush over rwlock",
    "dsim_kicks_per_call_vs_mutex_seqlock": "dsim (deterministic), 64 VPs, 16 initiators: "
                                            "cancel signals (IPIs) per flush call, "
                                            "mutex-seqlock over tlbflush",
    "dsim_kicks_per_call_vs_kvm_fifo": "the same: kvm-fifo over tlbflush",
    "invept_per_call_vs_mutex_seqlock": "shootdown-sim entries flushing guest-physical "
                                        "translations (INVEPT) per flush call: mutex-seqlock "
                                        "(for every full flush) over tlbflush (only for the "
                                        "VMM's guest-physical requests; inf if none)",
    "fetch_add_floor_vs_push1_2t": "a bare fetch_add on one shared line over a push of 1 range "
                                   "(library inlined), 2 threads",
    "load_floor_vs_poll_idle": "a bare acquire load over an idle poll (library inlined), "
                               "2 threads",
    "poll_idle": "instructions per idle poll (callgrind, -O2)",
    "push1": "instructions per push of 1 range (callgrind, -O2)",
    "vpset_contains": "instructions per VP-set membership test (callgrind, -O2)",
    "wake_decide": "instructions per wake decision of one VP (callgrind, -O2)",
}

# One colour per series, the same in every plot: the designs first, then
# the floors and the VP-set operations.
COLOURS = {
    "tlbflush": "#0072b2", "tlbflush-inline": "#56b4e9", "rwlock": "#d55e00",
    "mutex-seqlock": "#009e73", "kvm-fifo": "#cc79a7", "materialize": "#e69f00",
    "floor": "#000000",
    # VP-set operations (library inlined): colours no design uses.
    "contains": "#332288", "iter_sparse64": "#88ccee", "iter_dense64": "#44aa99",
    "iter_sparse4096": "#117733", "iter_dense4096": "#999933",
    "write_mask_sparse4096": "#882255", "write_mask_dense4096": "#aa4499",
}
for _v in (64, 256):
    for _b in ("rwlock", "mutex_seqlock", "kvm_fifo"):
        _n = _b.replace("_", "-")
        COMPARES[f"dsim_calls_{_v}vp_vs_{_b}"] = (
            f"dsim (deterministic), {_v} VPs, 16 initiators: virtual flush calls per second, "
            f"tlbflush over {_n}")
        COMPARES[f"dsim_xfer_entry_{_v}vp_vs_{_b}"] = (
            f"the same: coherence-ledger line transfers per VP entry, {_n} over tlbflush")
        COMPARES[f"dsim_xfer_call_{_v}vp_vs_{_b}"] = (
            f"the same: line transfers per flush call, {_n} over tlbflush")

SPARE_COLOURS = ["#999999", "#8c564b", "#7f7f7f", "#bcbd22", "#17becf"]


def verdict(kind, value, target):
    if value is None:
        return "not measured"
    if kind == "ratio":
        return "met" if value >= target else "missed"
    return "met" if value <= target else "missed"


def load_bench(path):
    """(op, design, threads) -> {"ns": ..., counters...}"""
    with open(path) as f:
        data = json.load(f)
    res = {}
    for b in data.get("benchmarks", []):
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        if b.get("error_occurred"):
            print(f"error: {b['name']}: {b.get('error_message')}", file=sys.stderr)
            continue
        parts = b.get("run_name", b["name"]).split("/")
        op, design = parts[0], parts[1]
        threads = int(b.get("threads", 1))
        unit = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}[b.get("time_unit", "ns")]
        entry = {"ns": b["real_time"] * unit}
        for k in ("p50_ns", "p99_ns", "p999_ns", "samples"):
            if k in b:
                entry[k] = b[k]
        res[(op, design, threads)] = entry
    return res


def load_summary(path):
    """(op, design, threads) -> {"ns": ...} from the tables of a summary.txt
    (the printed report of a full run), to redraw its plots."""
    res = {}
    section = None
    with open(path) as f:
        for line in f:
            if line.startswith("== "):
                section = line[3:].strip()
                continue
            parts = line.split()
            if section in (None, "push_p999", "targets") or section.startswith("shootdown-sim"):
                continue
            if len(parts) >= 4 and parts[2].isdigit() and parts[1] in DESIGNS:
                try:
                    res[(parts[0], parts[1], int(parts[2]))] = {"ns": float(parts[3])}
                except ValueError:
                    pass
    return res


def load_sim(path):
    sim = {}
    if not os.path.exists(path):
        return sim
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                d = json.loads(line)
                sim[d["design"]] = d
    return sim


def per_call(s):
    """The simulator's per-flush-call figures of one design's JSON object."""
    calls = s.get("flush_calls") or 0
    # The entries' flushes by scope (enum tlbf_scope): gpa (INVEPT on TDX),
    # linear (INVVPID), non_global.
    ef = s.get("entry_flushes", {})
    raw = {"kicks": s.get("kicks", 0), "cancelled": s.get("entries_cancelled", 0),
           "gpa": ef.get("gpa", 0), "linear": ef.get("linear", 0),
           "non_global": ef.get("non_global", 0)}
    return {k: (v / calls if calls else 0.0) for k, v in raw.items()}


def load_instr(path):
    out = {}
    with open(path) as f:
        for line in f:
            op, count = line.split()
            out[op] = int(count)
    return out


def fmt(x):
    if x is None:
        return "-"
    if x >= 100:
        return f"{x:.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def write_plots(res, outdir):
    """One data file per plotted operation and plots.gp, in @outdir."""
    def ns(op, design, threads):
        e = res.get((op, design, threads))
        return e["ns"] if e else None

    # Plot data: one file per operation, threads x series. White
    # background, one colour per series everywhere, each x axis spanning
    # the thread counts measured, the legend to the right of each plot.
    plots = {"scaling": ["poll_idle", "push1", "entry_exit", "flush_entire"],
             "ops": ["poll_new8", "push8", "wake64", "vpset"]}
    extra = {"poll_idle": "floor_load", "push1": "floor_fetch_add"}
    spare = iter(SPARE_COLOURS * 4)
    gp = ['set terminal svg size 1300,820 dynamic font "sans,11" background rgb "white"',
          'set datafile missing "?"', "set termoption noenhanced", "set logscale y",
          "set key outside right top vertical Left reverse font ',9' box lc rgb '#cccccc'",
          "set xlabel 'threads'", "set ylabel 'ns/op'", "set grid lc rgb '#dddddd'",
          "set border lc rgb '#444444'"]
    for plot, ops in plots.items():
        gp.append(f"set output '{plot}.svg'")
        gp.append("set multiplot layout 2,2")
        for op in ops:
            fname = f"plot_{op}.dat"
            if op == "vpset":
                series = sorted({o for (o, d, t) in res if o.startswith("vpset_")})
                keyf = lambda s, t: ns(s, "tlbflush-inline", t)  # noqa: E731
                labels = [s.replace("vpset_", "") for s in series]
            else:
                series = [d for d in DESIGNS if any((op, d, t) in res for t in (1, 2, 4))]
                keyf = lambda d, t, op=op: ns(op, d, t)  # noqa: E731
                labels = list(series)
                if op in extra and any((extra[op], "floor", t) in res for t in (1, 2, 4)):
                    series = series + ["floor"]
                    labels = labels + [extra[op].replace("_", "-")]
                    base = keyf
                    keyf = (lambda d, t, op=op, base=base:  # noqa: E731
                            ns(extra[op], "floor", t) if d == "floor" else base(d, t))
            threads = []
            with open(os.path.join(outdir, fname), "w") as f:
                f.write("threads " + " ".join(l.replace(" ", "_") for l in labels) + "\n")
                for t in (1, 2, 4):
                    vals = [keyf(s, t) for s in series]
                    if all(v is None for v in vals):
                        continue
                    threads.append(t)
                    f.write(f"{t} " + " ".join("?" if v is None else f"{v:.3f}" for v in vals)
                            + "\n")
            title = "vpset (tlbflush-inline)" if op == "vpset" else op
            gp.append(f"set title '{title}'")
            if threads:
                lo, hi = min(threads), max(threads)
                pad = 0.1 * (hi - lo) if hi > lo else 0.5
                gp.append(f"set xrange [{lo - pad:g}:{hi + pad:g}]")
                gp.append("set xtics (" + ", ".join(str(t) for t in threads) + ")")
            items = []
            for i, (sname, label) in enumerate(zip(series, labels)):
                colour = COLOURS.get(label) or COLOURS.get(sname) or next(spare)
                dash = " dt 2" if sname == "floor" else ""
                items.append(f"'{fname}' using 1:{i + 2} with linespoints lw 2 pt 7 ps 0.6"
                             f"{dash} lc rgb '{colour}' title '{label}'")
            if items:
                gp.append("plot " + ", \\\n     ".join(items))
        gp.append("unset multiplot")
    with open(os.path.join(outdir, "plots.gp"), "w") as f:
        f.write("\n".join(gp) + "\n")



def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--plots-from-summary", metavar="SUMMARY",
                    help="only write the plot data and plots.gp of the run a summary.txt "
                         "reports (to redraw committed plots); needs only --outdir")
    ap.add_argument("--mode", choices=["full", "quick"], default="full")
    ap.add_argument("--bench")
    ap.add_argument("--instr")
    ap.add_argument("--sim")
    ap.add_argument("--sim-preempt")
    ap.add_argument("--sim-count")
    ap.add_argument("--dsim", help="dsim --matrix output (its `ratio dsim_...` lines)")
    ap.add_argument("--outdir", required=True)
    a = ap.parse_args()
    if a.plots_from_summary:
        write_plots(load_summary(a.plots_from_summary), a.outdir)
        return
    if not (a.bench and a.instr and a.sim):
        ap.error("--bench, --instr and --sim are required")

    res = load_bench(a.bench)
    sim = load_sim(a.sim)
    simp = load_sim(a.sim_preempt) if a.sim_preempt else {}
    simc = load_sim(a.sim_count) if a.sim_count else {}
    instr = load_instr(a.instr)
    dsim = {}
    dsim_text = ""
    if a.dsim:
        with open(a.dsim) as f:
            dsim_text = f.read()
        for line in dsim_text.splitlines():
            w = line.split()
            if len(w) == 3 and w[0] == "ratio" and w[1].startswith("dsim_"):
                dsim[w[1]] = float(w[2])

    def ns(op, design, threads):
        e = res.get((op, design, threads))
        return e["ns"] if e else None

    def counter(op, design, threads, name):
        e = res.get((op, design, threads))
        return e.get(name) if e else None

    def div(x, y):
        return x / y if x is not None and y else None

    lines = []
    if a.mode == "full":
        for title, ops in TABLES:
            rows = [(op, d, t) for (op, d, t) in res if op in ops]
            rows.sort(key=lambda r: (ops.index(r[0]), DESIGNS.index(r[1]), r[2]))
            lines.append(f"== {title}")
            if title == "push_p999":
                lines.append(f"  {'design':<16} {'threads':>7} {'p50 ns':>9} {'p99 ns':>9}"
                             f" {'p99.9 ns':>9} {'samples':>10}")
                for op, d, t in rows:
                    e = res[(op, d, t)]
                    lines.append(f"  {d:<16} {t:>7} {fmt(e.get('p50_ns')):>9}"
                                 f" {fmt(e.get('p99_ns')):>9} {fmt(e.get('p999_ns')):>9}"
                                 f" {int(e.get('samples', 0)):>10}")
                lines.append("")
                continue
            lines.append(f"  {'operation':<28} {'design':<16} {'threads':>7} {'ns/op':>9}"
                         f" {'vs rwlock':>9}")
            for op, d, t in rows:
                v = ns(op, d, t)
                base = ns(ops[0], "rwlock", t)
                r = div(base, v) if d != "rwlock" else (1.0 if base else None)
                lines.append(f"  {op:<28} {d:<16} {t:>7} {fmt(v):>9} {fmt(r):>9}")
            lines.append("")
        if sim:
            lines.append("== shootdown-sim (end to end, mock backend)")
            lines.append(f"  {'design':<16} {'flush calls/s':>14} {'kicks':>9} {'stale':>6}")
            for d in DESIGNS:
                if d in sim:
                    s = sim[d]
                    lines.append(f"  {d:<16} {s['flush_calls_per_s']:>14.0f} {s['kicks']:>9}"
                                 f" {s['stale']:>6}")
            lines.append("  per flush call: kicks (cancel signals), cancel (guest entries they"
                         " cancelled), flushes at entry by scope;")
            lines.append("  flush-call latency in us; guest translations used per second")
            lines.append(f"  {'design':<16} {'kicks':>7} {'cancel':>7} {'gpa':>7}"
                         f" {'linear':>7} {'non-glob':>8} {'p50':>7} {'p99':>7} {'p99.9':>7}"
                         f" {'max':>8} {'uses/s':>9}")
            for d in DESIGNS:
                if d not in sim:
                    continue
                s = sim[d]
                pc = per_call(s)
                lat = s.get("latency_ns", {})
                ups = s["translations_used"] / s["seconds"] if s.get("seconds") else 0
                lines.append(f"  {d:<16} {pc['kicks']:>7.3f} {pc['cancelled']:>7.3f}"
                             f" {pc['gpa']:>7.3f} {pc['linear']:>7.3f}"
                             f" {pc['non_global']:>8.3f}"
                             f" {lat.get('p50', 0) / 1e3:>7.1f} {lat.get('p99', 0) / 1e3:>7.1f}"
                             f" {lat.get('p999', 0) / 1e3:>7.1f} {lat.get('max', 0) / 1e3:>8.1f}"
                             f" {ups / 1e6:>8.2f}M")
            if simp:
                fp = next(iter(simp.values()))
                lines.append(f"  producers preempted in their critical section (probability"
                             f" {fp.get('preempt')}, {fp.get('preempt_us')} us each,"
                             f" {fp['initiators']} initiators): flush-call latency in us")
                lines.append(f"  {'design':<16} {'preempted':>9} {'calls/s':>9} {'p50':>7}"
                             f" {'p99':>7} {'p99.9':>7} {'max':>8}")
                for d in DESIGNS:
                    if d not in simp:
                        continue
                    s = simp[d]
                    lat = s.get("latency_ns", {})
                    lines.append(f"  {d:<16} {s.get('preemptions', 0):>9}"
                                 f" {s['flush_calls_per_s']:>9.0f} {lat.get('p50', 0) / 1e3:>7.1f}"
                                 f" {lat.get('p99', 0) / 1e3:>7.1f}"
                                 f" {lat.get('p999', 0) / 1e3:>7.1f}"
                                 f" {lat.get('max', 0) / 1e3:>8.1f}")
            if simc:
                lines.append("  writes to shared memory per operation (--count-shared): to lines"
                             " other threads also write / to lines others only read")
                lines.append(f"  {'design':<16} {'entry':>13} {'idle entry':>13} {'exit':>13}"
                             f" {'flush call':>13}")
                for d in DESIGNS:
                    if d not in simc or "writes_per_op" not in simc[d]:
                        continue
                    w = simc[d]["writes_per_op"]
                    cells = [f"{w['shared'][k]:.2f} / {w['own'][k]:.2f}"
                             for k in ("entry", "idle_entry", "exit", "call")]
                    lines.append(f"  {d:<16} " + " ".join(f"{c:>13}" for c in cells))
            first = next(iter(sim.values()))
            lines.append(f"  ({first['vps']} VP threads, {first['initiators']} initiators,"
                         f" {first['seconds']:.1f} s per design)")
            lines.append("")

    def sim_per_call(design, key):
        if design not in sim:
            return None
        return per_call(sim[design]).get(key)

    def sim_over(baseline, key):
        b, t = sim_per_call(baseline, key), sim_per_call("tlbflush", key)
        if b is None or t is None:
            return None
        if t == 0:
            return float("inf") if b > 0 else None
        return b / t

    def writes_over(baseline, op):
        def w(d):
            return simc[d].get("writes_per_op", {}).get("shared", {}).get(op) if d in simc else None
        b, t = w(baseline), w("tlbflush")
        if b is None or t is None:
            return None
        if t == 0:
            return float("inf") if b > 0 else None
        return b / t

    def preempted_over(baseline):
        def p999(d):
            return simp[d].get("latency_ns", {}).get("p999") if d in simp else None
        return div(p999(baseline), p999("tlbflush"))

    def sim_ratio():
        if "tlbflush" in sim and "rwlock" in sim and sim["rwlock"]["flush_calls_per_s"]:
            return sim["tlbflush"]["flush_calls_per_s"] / sim["rwlock"]["flush_calls_per_s"]
        return None

    ratios = {
        "poll_idle_vs_rwlock": div(ns("poll_idle", "rwlock", 2), ns("poll_idle", "tlbflush", 2)),
        "poll_new8_vs_rwlock": div(ns("poll_new8", "rwlock", 1), ns("poll_new8", "tlbflush", 1)),
        "push1_1t_vs_mutex_seqlock": div(ns("push1", "mutex-seqlock", 1),
                                         ns("push1", "tlbflush", 1)),
        "push1_2t_vs_rwlock": div(ns("push1", "rwlock", 2), ns("push1", "tlbflush", 2)),
        "push1_2t_vs_mutex_seqlock": div(ns("push1", "mutex-seqlock", 2),
                                         ns("push1", "tlbflush", 2)),
        "push1_2t_vs_kvm_fifo": div(ns("push1", "kvm-fifo", 2), ns("push1", "tlbflush", 2)),
        "push_p999_4t_vs_mutex_seqlock": div(counter("push_p999", "mutex-seqlock", 4, "p999_ns"),
                                             counter("push_p999", "tlbflush", 4, "p999_ns")),
        "push_p999_4t_vs_rwlock": div(counter("push_p999", "rwlock", 4, "p999_ns"),
                                      counter("push_p999", "tlbflush", 4, "p999_ns")),
        "wake64_vs_materialize": div(ns("wake64", "materialize", 1),
                                     ns("wake64", "tlbflush-inline", 1)),
        "push_set8_vs_kvm_fifo": div(ns("push_set8", "kvm-fifo", 1),
                                     ns("push_set8", "tlbflush", 1)),
        "push_set64_vs_kvm_fifo": div(ns("push_set64", "kvm-fifo", 1),
                                      ns("push_set64", "tlbflush", 1)),
        "wake64_mixed_vs_mutex_seqlock": div(ns("wake64_mixed", "mutex-seqlock", 1),
                                             ns("wake64_mixed", "tlbflush", 1)),
        "preempted_p999_vs_mutex_seqlock": preempted_over("mutex-seqlock"),
        "preempted_p999_vs_rwlock": preempted_over("rwlock"),
        "shared_writes_per_entry_vs_mutex_seqlock": writes_over("mutex-seqlock", "entry"),
        "shared_writes_per_call_vs_kvm_fifo": writes_over("kvm-fifo", "call"),
        "entry_exit_vs_packed": div(ns("entry_exit", "mutex-seqlock", 2),
                                    ns("entry_exit", "tlbflush", 2)),
        "entry_exit_stats_off_vs_on": div(ns("entry_obs", "stats-off", 1),
                                          ns("entry_obs", "stats-on", 1)),
        "push1_stats_off_vs_on": div(ns("push1_obs", "stats-off", 1),
                                     ns("push1_obs", "stats-on", 1)),
        "sim_throughput_vs_rwlock": sim_ratio(),
        "invept_per_call_vs_mutex_seqlock": sim_over("mutex-seqlock", "gpa"),
        "fetch_add_floor_vs_push1_2t": div(ns("floor_fetch_add", "floor", 2),
                                           ns("push1", "tlbflush-inline", 2)),
        "load_floor_vs_poll_idle": div(ns("floor_load", "floor", 2),
                                       ns("poll_idle", "tlbflush-inline", 2)),
    }
    for kind, name, _ in TARGETS:
        if name.startswith("dsim_"):
            ratios[name] = dsim.get(name)
    if a.mode == "full" and dsim_text:
        # the deterministic table: costs x1, every design and scale, then
        # the ledger per operation and the verdicts under halved and
        # doubled costs
        lines.append("== dsim (deterministic simulation, virtual time; dsim --matrix)")
        keep = False
        for line in dsim_text.splitlines():
            if line.startswith("== "):
                keep = line.startswith(("== costs x1.00", "== coherence ledger", "== verdicts"))
            if not keep or line.startswith(("cost table", "  ")):
                continue
            lines.append("  " + line if line else "")
        lines.append("")
    values = {}
    quick_met = 0
    for want in ("ratio", "instr"):
        for kind, name, target in TARGETS:
            if kind != want:
                continue
            if kind == "ratio":
                v = ratios[name]
                values[name] = v
                lines.append(f"ratio {name} {v:.2f}" if v is not None else f"ratio {name} n/a")
            else:
                v = instr.get(name)
                values["instr " + name] = v
                lines.append(f"instr {name} {v}" if v is not None else f"instr {name} n/a")
            if a.mode == "quick":
                # Under each line (kept as it is for parsers): what it
                # compares, which way is better, the target and the verdict.
                better = "bigger is better" if kind == "ratio" else "smaller is better"
                op = ">=" if kind == "ratio" else "<="
                ver = verdict(kind, v, target)
                quick_met += ver == "met"
                lines.append(f"    {COMPARES[name]}; {better}; target {op} {target}: {ver}")
    if a.mode == "quick":
        lines.append(f"{quick_met} of {len(TARGETS)} targets met (one short repetition: "
                     "noisy; make bench for the medians of 3)")

    if a.mode == "full":
        lines.append("")
        lines.append("== targets")
        met = 0
        for kind, name, target in TARGETS:
            v = values[name] if kind == "ratio" else values["instr " + name]
            ver = verdict(kind, v, target)
            met += ver == "met"
            op = ">=" if kind == "ratio" else "<="
            shown = "n/a" if v is None else (f"{v:.2f}" if kind == "ratio" else str(v))
            lines.append(f"  {kind} {name:<32} {shown:>8}   target {op} {target:<4} {ver}")
        lines.append(f"  {met} of {len(TARGETS)} targets met")
    print("\n".join(lines))
    write_plots(res, a.outdir)

if __name__ == "__main__":
    main()
