// Parallel loops for kernels. One interface, two implementations: OpenMP when the build
// has it (LOOMRNN_OPENMP), otherwise the project's own pool, so the prebuilt binary needs
// no libgomp.
#pragma once
#include <cstdint>
#include <functional>

namespace loom {

// Threads used by parallel_for, including the calling thread. Default: physical cores.
int num_threads();
void set_num_threads(int n);
int physical_cores();
bool openmp_enabled();

// Calls fn(begin, end) on disjoint chunks covering [0, n), each at least `grain` long
// (except the last), on up to num_threads() threads; returns when all are done.
// Runs inline when n <= grain, when one thread is set, or when called from inside another
// parallel_for or while another caller holds the pool (so concurrent callers never
// deadlock, e.g. addons in several worker_threads).
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

}  // namespace loom
