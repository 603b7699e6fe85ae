// GRU cell, one time step (ONNX gate order z, r, h):
//   z = f(Xz + H_prev Rz^T)   r = f(Xr + H_prev Rr^T)
//   lbr=0: n = g(Xh + (r.H_prev) Rh^T + Rbh)
//   lbr=1: n = g(Xh + r.(H_prev Rh^T + Rbh))
//   H = (1 - z).n + z.H_prev
// pre [B, 3H] arrives holding X W^T; the gate kernels add the biases (Wb + Rb, but Rbh
// inside the r product when lbr=1). R is [3H, H] and is used as two blocks, z,r rows
// [2H, H] and h rows [H, H], because the h-gate GEMM of lbr=0 needs r first.
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

void gru_step_forward(const CellDir& d, float* pre, float* aux, const GateArgs& a) {
  const int64_t H = d.H, B = d.B;
  if (d.gemv) {
    // As below, per part of the hidden units; lbr=0 needs all of r.h_in before the h gate.
    const GemvJob zr{0, 2, a.h_in, H, 1.0f, pre, 3 * H};
    if (a.lbr) {
      const GemvJob jobs[2] = {zr, {2 * H, 1, a.h_in, H, 0.0f, aux, H}};
      gemv_step(d, jobs, 2, d.k->gru_forward, a);
      return;
    }
    GateArgs reset = a;
    reset.aux_out = aux;
    gemv_step(d, &zr, 1, d.k->gru_reset, reset);
    const GemvJob h{2 * H, 1, aux, H, 1.0f, pre + 2 * H, 3 * H};
    gemv_step(d, &h, 1, d.k->gru_forward, a);
    return;
  }
  // pre[:, 0:2H] += h_in[B, H] @ Rzr^T
  sgemm_packed(false, B, 2 * H, H, 1.0f, a.h_in, H, *d.rt[0], 1.0f, pre, 3 * H);
  if (a.lbr) {
    // aux[B, H] = h_in @ Rh^T
    sgemm_packed(false, B, H, H, 1.0f, a.h_in, H, *d.rt[1], 0.0f, aux, H);
  } else {
    GateArgs reset = a;
    reset.aux_out = aux;
    run_rows(d, d.k->gru_reset, reset);
    // pre[:, 2H:3H] += (r.h_in)[B, H] @ Rh^T
    sgemm_packed(false, B, H, H, 1.0f, aux, H, *d.rt[1], 1.0f, pre + 2 * H, 3 * H);
  }
  run_rows(d, d.k->gru_forward, a);
}

void gru_step_backward(const CellDir& d, const GateArgs& a) {
  const int64_t H = d.H, B = d.B;
  run_rows(d, d.k->gru_backward, a);
  if (a.lbr) {
    // dh += da[:, 0:2H] @ Rzr + daux @ Rh   (daux = grad of h_in Rh^T)
    sgemm_packed(false, B, H, 2 * H, 1.0f, a.da, 3 * H, *d.r[0], 1.0f, a.dh, H);
    sgemm_packed(false, B, H, H, 1.0f, a.daux, H, *d.r[1], 1.0f, a.dh, H);
  } else {
    // daux[B, H] = da[:, 2H:3H] @ Rh = grad of r.h_in; it feeds the r gate and dh.
    sgemm_packed(false, B, H, H, 1.0f, a.da + 2 * H, 3 * H, *d.r[1], 0.0f, a.daux, H);
    run_rows(d, d.k->gru_backward_reset, a);
    sgemm_packed(false, B, H, 2 * H, 1.0f, a.da, 3 * H, *d.r[0], 1.0f, a.dh, H);
  }
}

}  // namespace cells
}  // namespace loom
