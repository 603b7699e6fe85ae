#include "peak.h"

#include <atomic>
#include <chrono>

#include "../cpu/isa.h"
#include "../cpu/threads.h"

namespace loom {

double measure_fma_peak(int64_t iterations) {
  const int threads = num_threads();
  auto loop = active_isa() == Isa::AVX512 ? peak_avx512::fma_loop
              : active_isa() == Isa::AVX2 ? peak_avx2::fma_loop
                                          : peak_sse::fma_loop;
  std::atomic<int64_t> flops{0};
  std::atomic<uint32_t> sink{0};
  const auto start = std::chrono::steady_clock::now();
  parallel_for(threads, 1, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      int64_t f = 0;
      // Publishing the sum keeps the compiler from dropping the loop.
      sink.fetch_add(static_cast<uint32_t>(loop(iterations, &f)));
      flops.fetch_add(f);
    }
  });
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return static_cast<double>(flops.load()) / seconds * 1e-9;
}

}  // namespace loom
