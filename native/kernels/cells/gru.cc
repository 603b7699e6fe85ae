// GRU cell, one time step (ONNX gate order z, r, h):
//   z = f(Xz + H_prev Rz^T)   r = f(Xr + H_prev Rr^T)
//   lbr=0: n = g(Xh + (r.H_prev) Rh^T + Rbh)
//   lbr=1: n = g(Xh + r.(H_prev Rh^T + Rbh))
//   H = (1 - z).n + z.H_prev
// pre [B, 3H] arrives holding X W^T; the gate kernels add the biases (Wb + Rb, but Rbh
// inside the r product when lbr=1). R is [3H, H] and is used as two blocks, z,r rows
// [2H, H] and h rows [H, H], because the h-gate GEMM of lbr=0 needs r first.
#include <cstdint>

#include "../gemm/gemm.h"
#include "gates.h"

namespace loom {
namespace cells {

namespace {

struct Step {
  const CellDir* d;
  float* pre;
  float* aux;
  const GateArgs* a;
};

void forward_rows(const void* ctx, int64_t, int64_t b0, int64_t b1) {
  const Step& s = *static_cast<const Step*>(ctx);
  const CellDir& d = *s.d;
  const GateArgs& a = *s.a;
  const int64_t H = d.H, m = b1 - b0;
  float* pre = s.pre + b0 * 3 * H;
  float* aux = s.aux + b0 * H;
  const float* h_in = a.h_in + b0 * H;
  // pre[:, 0:2H] += h_in[m, H] @ Rzr^T
  sgemm_packed(false, m, 2 * H, H, 1.0f, h_in, H, *d.rt[0], 1.0f, pre, 3 * H);
  if (a.lbr) {
    // aux[m, H] = h_in @ Rh^T
    sgemm_packed(false, m, H, H, 1.0f, h_in, H, *d.rt[1], 0.0f, aux, H);
  } else {
    GateArgs reset = a;
    reset.aux_out = s.aux;
    d.k->gru_reset(reset, b0, b1);
    // pre[:, 2H:3H] += (r.h_in)[m, H] @ Rh^T
    sgemm_packed(false, m, H, H, 1.0f, aux, H, *d.rt[1], 1.0f, pre + 2 * H, 3 * H);
  }
  d.k->gru_forward(a, b0, b1);
}

void backward_rows(const void* ctx, int64_t p, int64_t b0, int64_t b1) {
  const Step& s = *static_cast<const Step*>(ctx);
  const CellDir& d = *s.d;
  GateArgs a = *s.a;
  a.db = bias_part_begin(a, p);
  const int64_t H = d.H, m = b1 - b0;
  const float* da = a.da + b0 * 3 * H;
  float* daux = a.daux + b0 * H;
  float* dh = a.dh + b0 * H;
  d.k->gru_backward(a, b0, b1);
  if (a.lbr) {
    // dh += da[:, 0:2H] @ Rzr + daux @ Rh   (daux = grad of h_in Rh^T)
    sgemm_packed(false, m, H, 2 * H, 1.0f, da, 3 * H, *d.r[0], 1.0f, dh, H);
    sgemm_packed(false, m, H, H, 1.0f, daux, H, *d.r[1], 1.0f, dh, H);
  } else {
    // daux[m, H] = da[:, 2H:3H] @ Rh = grad of r.h_in; it feeds the r gate and dh.
    sgemm_packed(false, m, H, H, 1.0f, da + 2 * H, 3 * H, *d.r[1], 0.0f, daux, H);
    d.k->gru_backward_reset(a, b0, b1);
    sgemm_packed(false, m, H, 2 * H, 1.0f, da, 3 * H, *d.r[0], 1.0f, dh, H);
  }
  bias_part_end(a, p);
}

}  // namespace

void gru_step_forward(const CellDir& d, float* pre, float* aux, const GateArgs& a) {
  const int64_t H = d.H;
  if (d.gemv) {
    // As forward_rows, per part of the hidden units; lbr=0 needs all of r.h_in before the
    // h gate, so it takes two pool calls.
    const GemvJob zr{0, 2, a.h_in, H, 1.0f, pre, 3 * H};
    if (a.lbr) {
      const GemvJob jobs[2] = {zr, {2, 1, a.h_in, H, 0.0f, aux, H}};
      gemv_step(d, jobs, 2, d.k->gru_forward, a);
      return;
    }
    GateArgs reset = a;
    reset.aux_out = aux;
    gemv_step(d, &zr, 1, d.k->gru_reset, reset);
    const GemvJob h{2, 1, aux, H, 1.0f, pre + 2 * H, 3 * H};
    gemv_step(d, &h, 1, d.k->gru_forward, a);
    return;
  }
  const Step s{&d, pre, aux, &a};
  run_row_parts(d, forward_rows, &s);
}

void gru_step_backward(const CellDir& d, const GateArgs& a) {
  const Step s{&d, nullptr, nullptr, &a};
  run_row_parts(d, backward_rows, &s);
}

}  // namespace cells
}  // namespace loom
