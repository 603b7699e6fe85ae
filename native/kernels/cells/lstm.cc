// LSTM cell, one time step (ONNX gate order i, o, f, c; peepholes i, o, f):
//   i = f(Xi + H_prev Ri^T + Pi.C_prev)   f = f(Xf + H_prev Rf^T + Pf.C_prev)  (or 1 - i)
//   c = g(Xc + H_prev Rc^T)   C = f.C_prev + i.c   o = f(Xo + H_prev Ro^T + Po.C)   H = o.h(C)
// pre [B, 4H] arrives holding X W^T; the gate kernel adds Wb + Rb. R is [4H, H].
#include <cstdint>

#include "../gemm/gemm.h"
#include "gates.h"

namespace loom {
namespace cells {

namespace {

struct Step {
  const CellDir* d;
  float* pre;
  const GateArgs* a;
  float* dp_parts;
};

void forward_rows(const void* ctx, int64_t, int64_t b0, int64_t b1) {
  const Step& s = *static_cast<const Step*>(ctx);
  const int64_t H = s.d->H;
  // pre[b0:b1, 4H] += h_in[b0:b1, H] @ R^T
  sgemm_packed(false, b1 - b0, 4 * H, H, 1.0f, s.a->h_in + b0 * H, H, *s.d->rt[0], 1.0f,
               s.pre + b0 * 4 * H, 4 * H);
  s.d->k->lstm_forward(*s.a, b0, b1);
}

void backward_rows(const void* ctx, int64_t p, int64_t b0, int64_t b1) {
  const Step& s = *static_cast<const Step*>(ctx);
  const int64_t H = s.d->H;
  // Each part of the batch owns a peephole accumulator; the caller sums them once at the end.
  GateArgs part = *s.a;
  part.dp = s.dp_parts ? s.dp_parts + p * 3 * H : nullptr;
  part.db = bias_part_begin(part, p);
  s.d->k->lstm_backward(part, b0, b1);
  bias_part_end(part, p);
  // dh[b0:b1, H] += da[b0:b1, 4H] @ R
  sgemm_packed(false, b1 - b0, H, 4 * H, 1.0f, s.a->da + b0 * 4 * H, 4 * H, *s.d->r[0], 1.0f,
               s.a->dh + b0 * H, H);
}

}  // namespace

void lstm_step_forward(const CellDir& d, float* pre, const GateArgs& a) {
  const int64_t H = d.H;
  if (d.gemv) {
    // pre[B, 4H] += h_in[B, H] @ R^T, and the gates, per part of the hidden units
    const GemvJob job{0, 4, a.h_in, H, 1.0f, pre, 4 * H};
    gemv_step(d, &job, 1, d.k->lstm_forward, a);
    return;
  }
  const Step s{&d, pre, &a, nullptr};
  run_row_parts(d, forward_rows, &s);
}

void lstm_step_backward(const CellDir& d, const GateArgs& a, float* dp_parts) {
  const Step s{&d, nullptr, &a, dp_parts};
  run_row_parts(d, backward_rows, &s);
}

}  // namespace cells
}  // namespace loom
