// SPDX-License-Identifier: MIT
//
// bench/bench.cc - the Google Benchmark main of tlbflush.
//
// Every benchmark is one scenario of the C shim (bench/shim.h): an
// operation, a design and a thread count. Thread 0 creates the scenario
// before the timed loop and destroys it after; Google Benchmark's start
// and stop barriers order that against the other threads. Each thread
// runs batches of operations in C; the reported time is wall-clock time
// divided by the operations of all threads (inverse throughput).
//
// Environment: TLBF_BENCH_P999_SECONDS, minimum time of the push_p999
// benchmarks (default 1.0; make bench-quick sets less).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "observed.h"
#include "shim.h"

namespace {

struct shim *g_shim;

void run(benchmark::State &state, const char *op, const char *design)
{
	const int tid = state.thread_index();
	if (tid == 0) {
		g_shim = shim_create(op, design, state.threads());
		if (!g_shim) {
			std::fprintf(stderr, "%s/%s: cannot set up\n", op, design);
			std::abort();
		}
	}
	const uint32_t batch = shim_batch(op);
	const bool refill = shim_has_refill(op);
	struct shim *s = nullptr;
	while (state.KeepRunningBatch(batch)) {
		// g_shim is read only here: the start barrier is in the first
		// KeepRunningBatch call.
		if (!s)
			s = g_shim;
		shim_loop(s, tid, batch);
		if (refill) {
			state.PauseTiming();
			shim_refill(s, tid);
			state.ResumeTiming();
		}
	}
	if (tid == 0) {
		if (s) {
			if (const char *err = shim_error(s))
				state.SkipWithError(err);
			if (std::string(op) == "push_p999") {
				state.counters["p50_ns"] = shim_latency_ns(s, 0.5);
				state.counters["p99_ns"] = shim_latency_ns(s, 0.99);
				state.counters["p999_ns"] = shim_latency_ns(s, 0.999);
				state.counters["samples"] = (double)shim_latency_samples(s);
			}
		}
		shim_destroy(g_shim);
		g_shim = nullptr;
	}
}

struct entry {
	const char *op;
	std::vector<int> threads;
};

}  // namespace

int main(int argc, char **argv)
{
	const char *designs[] = {"tlbflush", "tlbflush-inline", "rwlock", "mutex-seqlock", "kvm-fifo",
	                         "materialize", "floor"};
	const std::vector<entry> table = {
	    {"poll_idle", {1, 2, 4}},
	    {"floor_load", {1, 2, 4}},
	    {"poll_new8", {1, 2}},
	    {"push1", {1, 2, 4}},
	    {"floor_fetch_add", {1, 2, 4}},
	    {"push8", {1, 2}},
	    {"flush_entire", {1, 2}},
	    {"push_p999", {4}},
	    {"wake64", {1, 2}},
	    {"push_set8", {1, 2}},
	    {"push_set64", {1, 2}},
	    {"wake64_mixed", {1}},
	    {"entry_exit", {1, 2, 4}},
	    {"vpset_contains", {1, 2}},
	    {"vpset_iter_sparse64", {1, 2}},
	    {"vpset_iter_dense64", {1, 2}},
	    {"vpset_iter_sparse4096", {1, 2}},
	    {"vpset_iter_dense4096", {1, 2}},
	    {"vpset_write_mask_sparse4096", {1, 2}},
	    {"vpset_write_mask_dense4096", {1, 2}},
	};
	double p999_seconds = 1.0;
	if (const char *e = std::getenv("TLBF_BENCH_P999_SECONDS"))
		p999_seconds = std::atof(e);

	for (const entry &e : table) {
		for (const char *d : designs) {
			if (!shim_applies(e.op, d))
				continue;
			std::string name = std::string(e.op) + "/" + d;
			auto *b = benchmark::RegisterBenchmark(name.c_str(), run, e.op, d);
			b->UseRealTime();
			for (int t : e.threads)
				b->Threads(t);
			if (std::string(e.op) == "push_p999")
				b->MinTime(p999_seconds);
		}
	}
	// The counters and probes compiled in (on) and out (off): the entry
	// path and the request side, one thread.
	struct observed {
		const char *name;
		uint64_t (*fn)(uint32_t);
	};
	static const observed obs[] = {{"entry_obs/stats-off", observed_entry_off},
	                               {"entry_obs/stats-on", observed_entry_on},
	                               {"push1_obs/stats-off", observed_push1_off},
	                               {"push1_obs/stats-on", observed_push1_on}};
	for (const observed &o : obs) {
		benchmark::RegisterBenchmark(o.name, [fn = o.fn](benchmark::State &state) {
			uint64_t acc = 0;
			while (state.KeepRunningBatch(256))
				acc += fn(256);
			benchmark::DoNotOptimize(acc);
		})->UseRealTime();
	}
	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv))
		return 1;
	benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	return 0;
}
