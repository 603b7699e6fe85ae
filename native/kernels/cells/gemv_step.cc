// Small-batch forward step (gates.h gemv_step): the recurrent product is a few GEMVs that
// stream R once, so threads split the hidden units instead of the batch. Each part owns
// all gates of its units, so it applies the gate kernel to what it just computed while
// that is in cache, keeps its slice of packed R in its own L2 from step to step, and the
// step costs one pool call.
#include <algorithm>
#include <cstdint>

#include "../../cpu/threads.h"
#include "../gemm/gemm.h"
#include "gates.h"

namespace loom {
namespace cells {

// Parts own whole multiples of this many units, so their rows of R start on full vectors.
constexpr int64_t kUnitBlock = 16;

void gemv_step(const CellDir& d, const GemvJob* jobs, int njobs, GateKernel kernel,
               const GateArgs& a) {
  // One captured pointer keeps the std::function in its small buffer: no heap per step.
  struct Job {
    const CellDir* d;
    const GemvJob* jobs;
    int njobs;
    GateKernel kernel;
    const GateArgs* a;
  };
  const Job job{&d, jobs, njobs, kernel, &a};
  parallel_for(d.unit_parts, 1, [&job](int64_t p0, int64_t p1) {
    const CellDir& d = *job.d;
    const int64_t H = d.H, parts = d.unit_parts;
    const int64_t blocks = (H + kUnitBlock - 1) / kUnitBlock;
    for (int64_t p = p0; p < p1; ++p) {
      const int64_t j0 = std::min(H, blocks * p / parts * kUnitBlock);
      const int64_t j1 = std::min(H, blocks * (p + 1) / parts * kUnitBlock);
      if (j0 == j1) continue;
      for (int i = 0; i < job.njobs; ++i) {
        const GemvJob& g = job.jobs[i];
        for (int64_t b = 0; b < d.B; ++b) {
          for (int64_t gate = 0; gate < g.G; ++gate) {
            // y[b, gate*H + j0 : j1] (+)= R[row0 + gate*H + j0 : j1, :] @ x[b, :]
            gemv(j1 - j0, H, d.R + (g.row0 + gate * H + j0) * H, H, g.x + b * g.ldx, g.beta,
                 g.y + b * g.ldy + gate * H + j0);
          }
        }
      }
      GateArgs part = *job.a;
      part.j0 = j0;
      part.j1 = j1;
      job.kernel(part, 0, d.B);
    }
  });
}

}  // namespace cells
}  // namespace loom
