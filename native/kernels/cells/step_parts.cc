// How a time step is split over threads so that it costs one pool call (gates.h).
// Batched steps (run_row_parts): each thread runs the recurrent products and the gate
// kernels for its own batch rows; rows never depend on each other within a step, and the
// products are thin enough (~32 rows) that re-reading all of packed R per thread costs far
// less L2/L3 bandwidth than the FMAs take.
// Small-batch forward steps (gemv_step): the product is a few GEMVs that stream R^T once, so
// threads split the hidden units instead. Each part owns all gates of its units, applies
// the gate kernel to what it just computed while that is in cache, and keeps its panels of
// each gate's packed R_g^T in its own L2 from step to step.
#include <algorithm>
#include <cstdint>

#include "../../cpu/threads.h"
#include "../gemm/gemm.h"
#include "gates.h"

namespace loom {
namespace cells {

float* bias_part_begin(const GateArgs& a, int64_t p) {
  if (!a.db_parts) return nullptr;
  float* partial = a.db_parts + (2 * p + 1) * a.db_width;
  std::fill(partial, partial + a.db_width, 0.0f);
  return partial;
}

void bias_part_end(const GateArgs& a, int64_t p) {
  if (!a.db_parts) return;
  float* total = a.db_parts + 2 * p * a.db_width;
  const float* partial = total + a.db_width;
  for (int64_t j = 0; j < a.db_width; ++j) total[j] += partial[j];
}

UnitRange unit_range(int64_t H, int parts, int64_t p) {
  // Whole panels, so each part's columns of every gate start a panel.
  const int64_t unit = packed_panel_width();
  const int64_t blocks = (H + unit - 1) / unit;
  return {std::min(H, blocks * p / parts * unit), std::min(H, blocks * (p + 1) / parts * unit)};
}

void run_row_parts(const CellDir& d, RowPartFn fn, const void* ctx) {
  // One captured pointer keeps the std::function in its small buffer: no heap per step.
  struct Job {
    const CellDir* d;
    RowPartFn fn;
    const void* ctx;
  };
  const Job job{&d, fn, ctx};
  parallel_for(d.row_parts, 1, [&job](int64_t p0, int64_t p1) {
    const int64_t parts = job.d->row_parts, B = job.d->B;
    for (int64_t p = p0; p < p1; ++p) job.fn(job.ctx, p, B * p / parts, B * (p + 1) / parts);
  });
}

namespace {

// Part p's products of one step over its packed panels of every gate. Panels go in one
// order on even steps and the reverse on odd ones: when a part's panels outgrow its L2, each
// step then starts on those the last step left there (LSTM H = 512, 2 MiB per part: -18%;
// no change while they fit).
void gemv_panels(const CellDir& d, const GemvJob* jobs, int njobs, int64_t t, int64_t p,
                 int64_t j0, int64_t j1) {
  const int64_t H = d.H;
  const int64_t nr = packed_panel_width(), panels = (j1 - j0 + nr - 1) / nr;
  int64_t units = 0;
  for (int i = 0; i < njobs; ++i) units += jobs[i].G * panels;
  const bool back = (t & 1) != 0;
  for (int64_t u = 0; u < units; ++u) {
    int64_t v = back ? units - 1 - u : u;
    int i = 0;
    while (v >= jobs[i].G * panels) v -= jobs[i++].G * panels;
    const GemvJob& g = jobs[i];
    const int64_t gate = v / panels, c0 = v % panels * nr, c1 = std::min(j1 - j0, c0 + nr);
    // y[b, gate*H + j0 + c0 : c1] (+)= x[b, H] @ R_gate^T[:, j0 + c0 : c1]
    const PackedB& rt = *d.rt_units[p * d.G + g.gate + gate];
    for (int64_t b = 0; b < d.B; ++b)
      gemv_packed(g.x + b * g.ldx, rt, c0, c1, g.beta, g.y + b * g.ldy + gate * H + j0 + c0);
  }
}

}  // namespace

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
    for (int64_t p = p0; p < p1; ++p) {
      const auto [j0, j1] = unit_range(H, parts, p);
      if (j0 == j1) continue;
      if (!d.rt_units) {
        for (int i = 0; i < job.njobs; ++i) {
          const GemvJob& g = job.jobs[i];
          for (int64_t gate = 0; gate < g.G; ++gate) {
            // y[:, gate*H + j0 : j1] (+)= x[B, H] @ R_{g.gate+gate}[j0 : j1, :]^T
            gemv(j1 - j0, H, d.R + ((g.gate + gate) * H + j0) * H, H, d.B, g.x, g.ldx, g.beta,
                 g.y + gate * H + j0, g.ldy);
          }
        }
      } else {
        gemv_panels(d, job.jobs, job.njobs, job.a->t, p, j0, j1);
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
