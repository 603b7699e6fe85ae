// Simple RNN cell, one time step:  H = f(X W^T + Wb + Rb + H_prev R^T).
// pre [B, H] arrives holding X W^T; the gate kernel adds Wb + Rb. R is [H, H].
#include <cstdint>

#include "../../cpu/threads.h"
#include "../gemm/gemm.h"
#include "gates.h"

namespace loom {
namespace cells {

namespace {

void run_rows(const CellDir& d, GateKernel kernel, const GateArgs& a) {
  const int64_t grain = (d.B + d.row_parts - 1) / d.row_parts;
  parallel_for(d.B, grain, [&](int64_t b0, int64_t b1) { kernel(a, b0, b1); });
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
  // pre[B, H] += h_in[B, H] @ R^T
  sgemm_packed(false, d.B, H, H, 1.0f, a.h_in, H, *d.rt[0], 1.0f, pre, H);
  run_rows(d, d.k->rnn_forward, a);
}

void rnn_step_backward(const CellDir& d, const GateArgs& a) {
  const int64_t H = d.H;
  run_rows(d, d.k->rnn_backward, a);
  // dh[B, H] += da[B, H] @ R
  sgemm_packed(false, d.B, H, H, 1.0f, a.da, H, *d.r[0], 1.0f, a.dh, H);
}

}  // namespace cells
}  // namespace loom
