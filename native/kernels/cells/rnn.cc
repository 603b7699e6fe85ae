// Simple RNN cell, one time step:  H = f(X W^T + Wb + Rb + H_prev R^T).
// pre [B, H] arrives holding X W^T; the gate kernel adds Wb + Rb. R is [H, H].
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
};

void forward_rows(const void* ctx, int64_t, int64_t b0, int64_t b1) {
  const Step& s = *static_cast<const Step*>(ctx);
  const int64_t H = s.d->H;
  // pre[b0:b1, H] += h_in[b0:b1, H] @ R^T
  sgemm_packed(false, b1 - b0, H, H, 1.0f, s.a->h_in + b0 * H, H, *s.d->rt[0], 1.0f,
               s.pre + b0 * H, H);
  s.d->k->rnn_forward(*s.a, b0, b1);
}

void backward_rows(const void* ctx, int64_t p, int64_t b0, int64_t b1) {
  const Step& s = *static_cast<const Step*>(ctx);
  const int64_t H = s.d->H;
  GateArgs part = *s.a;
  part.db = bias_part_begin(part, p);
  s.d->k->rnn_backward(part, b0, b1);
  bias_part_end(part, p);
  // dh[b0:b1, H] += da[b0:b1, H] @ R
  sgemm_packed(false, b1 - b0, H, H, 1.0f, s.a->da + b0 * H, H, *s.d->r[0], 1.0f,
               s.a->dh + b0 * H, H);
}

}  // namespace

void rnn_step_forward(const CellDir& d, float* pre, const GateArgs& a) {
  const int64_t H = d.H;
  if (d.gemv) {
    // pre[B, H] += h_in[B, H] @ R^T, and the activation, per part of the hidden units
    const GemvJob job{0, 1, a.h_in, H, 1.0f, pre, H};
    gemv_step(d, &job, 1, d.k->rnn_forward, a);
    return;
  }
  const Step s{&d, pre, &a};
  run_row_parts(d, forward_rows, &s);
}

void rnn_step_backward(const CellDir& d, const GateArgs& a) {
  const Step s{&d, nullptr, &a};
  run_row_parts(d, backward_rows, &s);
}

}  // namespace cells
}  // namespace loom
