#!/bin/sh
# SPDX-License-Identifier: MIT
#
# bench/capacity-sweep.sh [BUILD_ROOT]
#
# How TLBF_RING_CAPACITY trades ring size against flushing everything:
# builds the shootdown simulator once per capacity (a meson build directory
# BUILD_ROOT/capacity-N each, -Dc_args=-DTLBF_RING_CAPACITY=N), runs the
# tlbflush design for SWEEP_SECONDS seconds with a fixed seed, and prints a
# Markdown table (the one in README.md, "Choosing TLBF_RING_CAPACITY").
#
#   CAPACITIES     the capacities to try (default "4 8 16 32 64 128")
#   SWEEP_SECONDS  run time per capacity (default 2)
#   SEED           simulator seed (default 1)
#   SIM_ARGS       more simulator options (e.g. "--vps 16 --initiators 4")
#
# Per guest entry (each entry polls the ring once): ring overflows (the VP
# fell a whole ring behind and flushed everything) and flushes of
# everything for any reason; per list call: lists promoted to flush-entire
# (more ranges than the ring holds, large pages, ...) and pushes degraded
# under contention. Progress goes to stderr.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
builds=${1:-$root/build}
capacities=${CAPACITIES:-4 8 16 32 64 128}
seconds=${SWEEP_SECONDS:-2}
seed=${SEED:-1}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

mkdir -p "$builds"
for n in $capacities; do
	dir=$builds/capacity-$n
	echo "capacity $n: building $dir" >&2
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$root" -Dbuildtype=release -Dtests=disabled -Dmodel=disabled \
			-Dc_args=-DTLBF_RING_CAPACITY="$n" >"$tmp/setup.log" 2>&1 ||
			{ cat "$tmp/setup.log" >&2; exit 1; }
	fi
	ninja -C "$dir" examples/shootdown-sim >"$tmp/build.log" 2>&1 ||
		{ cat "$tmp/build.log" >&2; exit 1; }
	echo "capacity $n: running the simulator for $seconds s" >&2
	# shellcheck disable=SC2086
	"$dir/examples/shootdown-sim" --design tlbflush --seconds "$seconds" --seed "$seed" \
		--json ${SIM_ARGS:-} >"$tmp/sim-$n.json" || { echo "capacity $n: the run failed" >&2; exit 1; }
done

python3 - "$tmp" $capacities <<'PY'
import json
import sys

tmp, caps = sys.argv[1], sys.argv[2:]
print("| capacity | guest entries | ring overflows / 1000 entries | flush everything / 1000 entries"
      " | lists promoted % | pushes degraded % | flush calls/s |")
print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for n in caps:
    with open(f"{tmp}/sim-{n}.json") as f:
        d = json.loads(f.readline())
    entries = d["guest_entries"] or 1
    lists = (d["calls"]["list"] + d["calls"]["list_ex"]) or 1
    print(f"| {n} | {d['guest_entries']} | {1000 * d['overflows'] / entries:.2f}"
          f" | {1000 * d['vp_flushes']['entire'] / entries:.1f}"
          f" | {100 * d['recorded']['promoted'] / lists:.1f}"
          f" | {100 * d['recorded']['degraded'] / lists:.3f}"
          f" | {d['flush_calls_per_s']:.0f} |")
d0 = json.loads(open(f"{tmp}/sim-{caps[0]}.json").readline())
print(f"\n({d0['vps']} VP threads, {d0['initiators']} initiators, {d0['seconds']:.0f} s per "
      f"capacity, seed {d0['seed']}, tlbflush design, mock backend)")
PY
