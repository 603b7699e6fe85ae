// LSTM cell, one time step (ONNX gate order i, o, f, c; peepholes i, o, f):
//   i = f(Xi + H_prev Ri^T + Pi.C_prev)   f = f(Xf + H_prev Rf^T + Pf.C_prev)  (or 1 - i)
//   c = g(Xc + H_prev Rc^T)   C = f.C_prev + i.c   o = f(Xo + H_prev Ro^T + Po.C)   H = o.h(C)
// pre [B, 4H] arrives holding X W^T; the gate kernel adds Wb + Rb. R is [4H, H].
#include <cstdint>

#include "../../cpu/threads.h"
#include "../gemm/gemm.h"
#include "gates.h"

namespace loom {
namespace cells {

void lstm_step_forward(const CellDir& d, float* pre, const GateArgs& a) {
  const int64_t H = d.H;
  if (d.gemv) {
    // pre[B, 4H] += h_in[B, H] @ R^T, and the gates, per part of the hidden units
    const GemvJob job{0, 4, a.h_in, H, 1.0f, pre, 4 * H};
    gemv_step(d, &job, 1, d.k->lstm_forward, a);
    return;
  }
  // pre[B, 4H] += h_in[B, H] @ R^T
  sgemm_packed(false, d.B, 4 * H, H, 1.0f, a.h_in, H, *d.rt[0], 1.0f, pre, 4 * H);
  const int64_t grain = (d.B + d.row_parts - 1) / d.row_parts;
  parallel_for(d.B, grain, [&](int64_t b0, int64_t b1) { d.k->lstm_forward(a, b0, b1); });
}

void lstm_step_backward(const CellDir& d, const GateArgs& a, float* dp_parts) {
  const int64_t H = d.H;
  // Each part of the batch owns a peephole accumulator; the caller sums them once at the end.
  // One captured pointer keeps the std::function in its small buffer: no heap per step.
  struct Job {
    const CellDir* d;
    const GateArgs* a;
    float* dp_parts;
  };
  const Job job{&d, &a, dp_parts};
  parallel_for(d.row_parts, 1, [&job](int64_t p0, int64_t p1) {
    const int64_t parts = job.d->row_parts, B = job.d->B, H3 = 3 * job.d->H;
    for (int64_t p = p0; p < p1; ++p) {
      GateArgs part = *job.a;
      part.dp = job.dp_parts ? job.dp_parts + p * H3 : nullptr;
      job.d->k->lstm_backward(part, B * p / parts, B * (p + 1) / parts);
    }
  });
  // dh[B, H] += da[B, 4H] @ R
  sgemm_packed(false, d.B, H, 4 * H, 1.0f, a.da, 4 * H, *d.r[0], 1.0f, a.dh, H);
}

}  // namespace cells
}  // namespace loom
