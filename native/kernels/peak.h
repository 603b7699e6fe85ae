// The machine's single-precision FMA peak, measured: the yardstick benchmarks report
// kernel speed against.
#pragma once
#include <cstdint>

namespace loom {

// Runs `iterations` rounds of independent FMA chains on every thread of the pool and
// returns the achieved GFLOP/s at the active ISA level.
double measure_fma_peak(int64_t iterations);

namespace peak_sse { float fma_loop(int64_t iterations, int64_t* flops); }
namespace peak_avx2 { float fma_loop(int64_t iterations, int64_t* flops); }
namespace peak_avx512 { float fma_loop(int64_t iterations, int64_t* flops); }

}  // namespace loom
