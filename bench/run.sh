#!/bin/sh
# SPDX-License-Identifier: MIT
#
# bench/run.sh BUILD_DIR full|quick
#
# Runs the Google Benchmark harness, the instruction-count driver under
# callgrind, the shootdown simulator and the deterministic simulator
# (dsim --matrix), then bench/report.py prints the
# tables, the ratio and instr lines and the verdicts, and gnuplot draws
# the plots.
#
#   full   3 repetitions (medians), results in bench/results/ (latest.json,
#          summary.txt, scaling.svg, ops.svg): what the README shows
#   quick  one short repetition, results in bench/results/quick/; prints
#          only the ratio and instr lines, each with what it compares, the
#          target and the verdict (under a minute)
#
# A line per step goes to stderr while it runs; the last line says where
# the results are.
set -eu

build=${1:?usage: bench/run.sh BUILD_DIR full|quick}
mode=${2:-full}
here=$(cd "$(dirname "$0")" && pwd)
case $mode in
full)
	out=$here/results
	gb_args="--benchmark_min_time=0.2 --benchmark_repetitions=3 --benchmark_report_aggregates_only=true"
	TLBF_BENCH_P999_SECONDS=1.0
	sim_seconds=4
	;;
quick)
	out=$here/results/quick
	gb_args="--benchmark_min_time=0.01"
	TLBF_BENCH_P999_SECONDS=0.3
	sim_seconds=1
	;;
*)
	echo "usage: bench/run.sh BUILD_DIR full|quick" >&2
	exit 2
	;;
esac
export TLBF_BENCH_P999_SECONDS
mkdir -p "$out"
step() {
	echo "bench $mode: [$1/5] $2" >&2
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1. Google Benchmark: every operation, design and thread count, side by side.
step 1 "Google Benchmark: every operation, design and thread count ($(
	[ "$mode" = full ] && echo 'about 3 minutes' || echo 'about 20 seconds'))"
# shellcheck disable=SC2086
if ! "$build/bench/tlbf-bench" $gb_args --benchmark_out="$out/latest.json" \
	--benchmark_out_format=json >"$tmp/bench.log" 2>&1; then
	cat "$tmp/bench.log" >&2
	exit 1
fi

# 2. Instructions per call: callgrind, collecting only inside the
# operation's wrapper, for K and 2K calls; the difference over K.
K=1000
step 2 "instruction counts under callgrind"
: >"$out/instr.txt"
for op in poll_idle push1 vpset_contains wake_decide; do
	for n in $K $((2 * K)); do
		valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.$op.$n" \
			--toggle-collect="instr_$op" "$build/bench/tlbf-instr" "$op" "$n" \
			>"$tmp/vg.log" 2>&1 || { cat "$tmp/vg.log" >&2; exit 1; }
	done
	c1=$(sed -n 's/^summary: *//p' "$tmp/cg.$op.$K")
	c2=$(sed -n 's/^summary: *//p' "$tmp/cg.$op.$((2 * K))")
	echo "$op $(((c2 - c1) / K))" >>"$out/instr.txt"
done

# 3. End to end: the simulator's flush throughput per design.
sim=$build/examples/shootdown-sim
step 3 "shootdown-sim, every design for $sim_seconds s, with preempted producers, counting writes"
if [ -x "$sim" ]; then
	"$sim" --design all --json --seconds "$sim_seconds" --seed 1 >"$out/sim.json" 2>"$tmp/sim.log" ||
		{ cat "$tmp/sim.log" >&2; exit 1; }
else
	: >"$out/sim.json"
fi
# The same with producers descheduled inside their critical section now
# and then (--preempt): the flush-call latency tail of every design.
: >"$out/sim_preempt.json"
if [ -x "$sim" ]; then
	"$sim" --design all --json --seconds "$sim_seconds" --seed 1 --initiators 4 \
		--preempt 0.0005 --preempt-us 2000 >"$out/sim_preempt.json" 2>"$tmp/sim.log" ||
		{ cat "$tmp/sim.log" >&2; exit 1; }
fi

# The same once more counting every design's writes to shared memory.
: >"$out/sim_count.json"
if [ -x "$sim" ]; then
	"$sim" --design all --json --seconds "$sim_seconds" --seed 1 --count-shared \
		>"$out/sim_count.json" 2>"$tmp/sim.log" || { cat "$tmp/sim.log" >&2; exit 1; }
fi

# 4. The deterministic simulation: every design at 8, 64 and 256 VPs,
# costs x1, x0.5 and x2 (virtual time: the same bytes on any machine).
dsim=$build/examples/dsim/dsim
step 4 "dsim --matrix, the deterministic comparison (about 30 seconds)"
: >"$out/dsim.txt"
if [ -x "$dsim" ]; then
	"$dsim" --matrix >"$out/dsim.txt" 2>"$tmp/dsim.log" || { cat "$tmp/dsim.log" >&2; exit 1; }
fi

# 5. Tables, ratio and instr lines, verdicts, plot data.
step 5 "report and plots"
python3 "$here/report.py" --mode "$mode" --bench "$out/latest.json" --instr "$out/instr.txt" \
	--sim "$out/sim.json" --sim-preempt "$out/sim_preempt.json" \
	--sim-count "$out/sim_count.json" --dsim "$out/dsim.txt" --outdir "$out" >"$tmp/report.txt"
cat "$tmp/report.txt"

# 6. Plots: ns/op against threads, one line per design.
if command -v gnuplot >/dev/null 2>&1; then
	(cd "$out" && gnuplot plots.gp) || echo "gnuplot failed; no plots" >&2
fi

if [ "$mode" = full ]; then
	{
		echo "# make bench, $(date -u +%Y-%m-%dT%H:%MZ), commit $(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo '?')"
		echo "# $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
		cat "$tmp/report.txt"
	} >"$out/summary.txt"
fi

case $out in
"$PWD"/*) shown=${out#"$PWD"/} ;;
*) shown=$out ;;
esac
files="latest.json instr.txt sim.json sim_preempt.json sim_count.json dsim.txt"
[ "$mode" = full ] && files="$files summary.txt"
[ -f "$out/scaling.svg" ] && files="$files scaling.svg ops.svg"
echo "results written to $shown/: $files"
