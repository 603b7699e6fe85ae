// Gate kernels for one ISA: included once by each of gates_sse.cc, gates_avx2.cc and
// gates_avx512.cc with LOOM_GATES_NS naming that ISA's namespace. Every row is cut into
// chunks of kChunk hidden units held in stack arrays, so each pass below is a short
// vectorized loop over data in L1 and the kernels never allocate.
#pragma once
#ifndef LOOM_GATES_NS
#error "define LOOM_GATES_NS before including gates_impl.h"
#endif
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "activations.h"
#include "gates.h"

namespace loom {
namespace cells {
namespace LOOM_GATES_NS {
namespace {

constexpr int64_t kChunk = 64;
// A whole chunk's length as a type: its loops compile with a known trip count, so no
// remainder loop, and the activations' polynomial constants stay in registers.
using FullChunk = std::integral_constant<int64_t, kChunk>;

inline bool active(const GateArgs& a, int64_t b) { return !a.lens || a.t < a.lens[b]; }

// Runs body(j, n) over units [j0, j1) in chunks of kChunk; n is FullChunk for whole chunks,
// so their loops are compiled with a known trip count: 30% off the LSTM forward gates at
// H = 512.
template <typename Body>
inline void for_chunks(int64_t j0, int64_t j1, Body&& body) {
  int64_t j = j0;
  for (; j + kChunk <= j1; j += kChunk) body(j, FullChunk{});
  if (j < j1) body(j, j1 - j);
}

inline const float* at(const float* p, int64_t offset) { return p ? p + offset : nullptr; }
inline float* at(float* p, int64_t offset) { return p ? p + offset : nullptr; }

// out = pre (+ bias) (+ p * c), clipped to [-clip, clip] when clip > 0.
template <typename Len>
inline void preact(const float* __restrict pre, const float* __restrict bias,
                   const float* __restrict p, const float* __restrict c, float clip,
                   float* __restrict out, Len n) {
  if (bias) {
    for (int64_t i = 0; i < n; ++i) out[i] = pre[i] + bias[i];
  } else {
    for (int64_t i = 0; i < n; ++i) out[i] = pre[i];
  }
  if (p) {
    for (int64_t i = 0; i < n; ++i) out[i] += p[i] * c[i];
  }
  if (clip > 0.0f) {
    for (int64_t i = 0; i < n; ++i) out[i] = min_f(max_f(out[i], -clip), clip);
  }
}

// Activation and derivative of the pre-activation x = pre (+ bias) (+ p * c); the
// derivative is zero where clipping cut x off.
template <typename Len>
inline void gate_grad(const ActSpec& act, const float* __restrict pre,
                      const float* __restrict bias, const float* __restrict p,
                      const float* __restrict c, float clip, float* __restrict y,
                      float* __restrict d, Len n) {
  float x[kChunk];
  preact(pre, bias, p, c, 0.0f, x, n);
  if (clip > 0.0f) {
    float xc[kChunk];
    for (int64_t i = 0; i < n; ++i) xc[i] = min_f(max_f(x[i], -clip), clip);
    act_backward(act, xc, y, d, n);
    for (int64_t i = 0; i < n; ++i) d[i] = select_f((x[i] >= -clip) & (x[i] <= clip), d[i], 0.0f);
  } else {
    act_backward(act, x, y, d, n);
  }
}

inline void copy_row(const float* src, float* dst, int64_t n) {
  if (src != dst) std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
}
inline void zero_row(float* dst, int64_t n) {
  if (dst) std::memset(dst, 0, static_cast<size_t>(n) * sizeof(float));
}

// acc[i] += x[i] when acc is set: a row's share of the bias gradient.
template <typename Len>
inline void add_row(float* __restrict acc, const float* __restrict x, Len n) {
  if (!acc) return;
  for (int64_t i = 0; i < n; ++i) acc[i] += x[i];
}

template <typename Len>
inline void add_product(float* __restrict acc, const float* __restrict x,
                        const float* __restrict y, Len n) {
  for (int64_t i = 0; i < n; ++i) acc[i] += x[i] * y[i];
}

// Rows outside their sequence keep their state and write zeros to Y.
inline void pass_through(const GateArgs& a, int64_t b, bool cell_state) {
  const int64_t o = b * a.H + a.j0, n = a.j1 - a.j0;
  copy_row(a.h_in + o, a.h_out + o, n);
  if (cell_state) copy_row(a.c_in + o, a.c_out + o, n);
  if (a.y) zero_row(a.y + o, n);
}

// ---- RNN: H = f(pre) ----------------------------------------------------------------

void rnn_forward(const GateArgs& a, int64_t b0, int64_t b1) {
  const int64_t H = a.H;
  for (int64_t b = b0; b < b1; ++b) {
    if (!active(a, b)) {
      pass_through(a, b, false);
      continue;
    }
    const float* pre = a.pre + b * H;
    float* ho = a.h_out + b * H;
    for_chunks(a.j0, a.j1, [&](int64_t j, auto n) {
      float x[kChunk];
      preact(pre + j, at(a.bias, j), nullptr, nullptr, a.clip, x, n);
      act_forward(a.f, x, ho + j, n);
    });
    if (a.y) copy_row(ho + a.j0, a.y + b * H + a.j0, a.j1 - a.j0);
  }
}

void rnn_backward(const GateArgs& a, int64_t b0, int64_t b1) {
  const int64_t H = a.H;
  for (int64_t b = b0; b < b1; ++b) {
    float* da = a.da + b * H;
    if (!active(a, b)) {
      zero_row(da, H);
      continue;
    }
    const float* pre = a.pre + b * H;
    float* dh = a.dh + b * H;
    const float* dy = a.dy ? a.dy + b * H : nullptr;
    for_chunks(0, H, [&](int64_t j, auto n) {
      float y[kChunk], d[kChunk];
      gate_grad(a.f, pre + j, at(a.bias, j), nullptr, nullptr, a.clip, y, d, n);
      float* dhj = dh + j;
      if (dy) {
        for (int64_t i = 0; i < n; ++i) da[j + i] = (dhj[i] + dy[j + i]) * d[i];
      } else {
        for (int64_t i = 0; i < n; ++i) da[j + i] = dhj[i] * d[i];
      }
      add_row(at(a.db, j), da + j, n);
      for (int64_t i = 0; i < n; ++i) dhj[i] = 0.0f;
    });
  }
}

// ---- LSTM: gates i, o, f, c -----------------------------------------------------------

void lstm_forward(const GateArgs& a, int64_t b0, int64_t b1) {
  const int64_t H = a.H;
  const float* P = a.p;
  for (int64_t b = b0; b < b1; ++b) {
    if (!active(a, b)) {
      pass_through(a, b, true);
      continue;
    }
    const float* pre = a.pre + b * 4 * H;
    const float* cp = a.c_in + b * H;
    float* ho = a.h_out + b * H;
    float* co = a.c_out + b * H;
    for_chunks(a.j0, a.j1, [&](int64_t j, auto n) {
      float x[kChunk], gi[kChunk], gf[kChunk], gc[kChunk], go[kChunk], hc[kChunk];
      const float* cpj = cp + j;
      preact(pre + j, at(a.bias, j), at(P, j), cpj, a.clip, x, n);
      act_forward(a.f, x, gi, n);
      if (a.input_forget) {
        for (int64_t i = 0; i < n; ++i) gf[i] = 1.0f - gi[i];
      } else {
        preact(pre + 2 * H + j, at(a.bias, 2 * H + j), at(P, 2 * H + j), cpj, a.clip, x, n);
        act_forward(a.f, x, gf, n);
      }
      preact(pre + 3 * H + j, at(a.bias, 3 * H + j), nullptr, nullptr, a.clip, x, n);
      act_forward(a.g, x, gc, n);
      float* coj = co + j;
      for (int64_t i = 0; i < n; ++i) coj[i] = gf[i] * cpj[i] + gi[i] * gc[i];
      preact(pre + H + j, at(a.bias, H + j), at(P, H + j), coj, a.clip, x, n);
      act_forward(a.f, x, go, n);
      act_forward(a.h, coj, hc, n);
      float* hoj = ho + j;
      for (int64_t i = 0; i < n; ++i) hoj[i] = go[i] * hc[i];
    });
    if (a.y) copy_row(ho + a.j0, a.y + b * H + a.j0, a.j1 - a.j0);
  }
}

void lstm_backward(const GateArgs& a, int64_t b0, int64_t b1) {
  const int64_t H = a.H;
  const float* P = a.p;
  for (int64_t b = b0; b < b1; ++b) {
    float* da = a.da + b * 4 * H;
    if (!active(a, b)) {
      zero_row(da, 4 * H);
      continue;
    }
    const float* pre = a.pre + b * 4 * H;
    const float* cp = a.c_in + b * H;
    const float* dy = a.dy ? a.dy + b * H : nullptr;
    float* dh = a.dh + b * H;
    float* dc = a.dc + b * H;
    for_chunks(0, H, [&](int64_t j, auto n) {
      float gi[kChunk], di[kChunk], gf[kChunk], df[kChunk], gc[kChunk], dgc[kChunk];
      float go[kChunk], dgo[kChunk], hc[kChunk], dhc[kChunk], C[kChunk], dH[kChunk];
      const float* cpj = cp + j;
      gate_grad(a.f, pre + j, at(a.bias, j), at(P, j), cpj, a.clip, gi, di, n);
      if (a.input_forget) {
        for (int64_t i = 0; i < n; ++i) gf[i] = 1.0f - gi[i];
      } else {
        gate_grad(a.f, pre + 2 * H + j, at(a.bias, 2 * H + j), at(P, 2 * H + j), cpj, a.clip,
                  gf, df, n);
      }
      gate_grad(a.g, pre + 3 * H + j, at(a.bias, 3 * H + j), nullptr, nullptr, a.clip, gc, dgc,
                n);
      for (int64_t i = 0; i < n; ++i) C[i] = gf[i] * cpj[i] + gi[i] * gc[i];
      gate_grad(a.f, pre + H + j, at(a.bias, H + j), at(P, H + j), C, a.clip, go, dgo, n);
      act_backward(a.h, C, hc, dhc, n);

      float* dhj = dh + j;
      float* dcj = dc + j;
      if (dy) {
        for (int64_t i = 0; i < n; ++i) dH[i] = dhj[i] + dy[j + i];
      } else {
        for (int64_t i = 0; i < n; ++i) dH[i] = dhj[i];
      }
      float* dai = da + j;
      float* dao = da + H + j;
      float* daf = da + 2 * H + j;
      float* dac = da + 3 * H + j;
      for (int64_t i = 0; i < n; ++i) dao[i] = dH[i] * hc[i] * dgo[i];
      float dC[kChunk];
      if (P) {
        const float* po = P + H + j;
        for (int64_t i = 0; i < n; ++i)
          dC[i] = dcj[i] + dH[i] * go[i] * dhc[i] + dao[i] * po[i];
      } else {
        for (int64_t i = 0; i < n; ++i) dC[i] = dcj[i] + dH[i] * go[i] * dhc[i];
      }
      if (a.input_forget) {
        for (int64_t i = 0; i < n; ++i) {
          dai[i] = dC[i] * (gc[i] - cpj[i]) * di[i];
          daf[i] = 0.0f;
        }
      } else {
        for (int64_t i = 0; i < n; ++i) {
          dai[i] = dC[i] * gc[i] * di[i];
          daf[i] = dC[i] * cpj[i] * df[i];
        }
      }
      for (int64_t i = 0; i < n; ++i) dac[i] = dC[i] * gi[i] * dgc[i];
      add_row(at(a.db, j), dai, n);
      add_row(at(a.db, H + j), dao, n);
      add_row(at(a.db, 2 * H + j), daf, n);
      add_row(at(a.db, 3 * H + j), dac, n);
      if (P) {
        const float* pi = P + j;
        const float* pf = P + 2 * H + j;
        for (int64_t i = 0; i < n; ++i)
          dcj[i] = dC[i] * gf[i] + dai[i] * pi[i] + daf[i] * pf[i];
      } else {
        for (int64_t i = 0; i < n; ++i) dcj[i] = dC[i] * gf[i];
      }
      if (a.dp) {
        add_product(a.dp + j, dai, cpj, n);
        add_product(a.dp + H + j, dao, C, n);
        add_product(a.dp + 2 * H + j, daf, cpj, n);
      }
      for (int64_t i = 0; i < n; ++i) dhj[i] = 0.0f;
    });
  }
}

// ---- GRU: gates z, r, h -----------------------------------------------------------------

void gru_reset(const GateArgs& a, int64_t b0, int64_t b1) {
  const int64_t H = a.H;
  for (int64_t b = b0; b < b1; ++b) {
    float* out = a.aux_out + b * H;
    // Zeros keep the unused rows finite: backward multiplies them by zero gradients.
    if (!active(a, b)) {
      zero_row(out + a.j0, a.j1 - a.j0);
      continue;
    }
    const float* pr = a.pre + b * 3 * H + H;
    const float* hp = a.h_in + b * H;
    for_chunks(a.j0, a.j1, [&](int64_t j, auto n) {
      float x[kChunk], r[kChunk];
      preact(pr + j, at(a.bias, H + j), nullptr, nullptr, a.clip, x, n);
      act_forward(a.f, x, r, n);
      for (int64_t i = 0; i < n; ++i) out[j + i] = r[i] * hp[j + i];
    });
  }
}

// The h-gate pre-activation: pre_h (+ bias), and for lbr=1 + r.(h_in Rh^T + Rbh).
template <typename Len>
inline void gru_h_preact(const GateArgs& a, const float* __restrict pre_h,
                         const float* __restrict bias, const float* __restrict r,
                         const float* __restrict aux, const float* __restrict rbh,
                         float* __restrict x, Len n) {
  preact(pre_h, bias, nullptr, nullptr, 0.0f, x, n);
  if (!a.lbr) return;
  if (rbh) {
    for (int64_t i = 0; i < n; ++i) x[i] += r[i] * (aux[i] + rbh[i]);
  } else {
    for (int64_t i = 0; i < n; ++i) x[i] += r[i] * aux[i];
  }
}

void gru_forward(const GateArgs& a, int64_t b0, int64_t b1) {
  const int64_t H = a.H;
  for (int64_t b = b0; b < b1; ++b) {
    if (!active(a, b)) {
      pass_through(a, b, false);
      continue;
    }
    const float* pre = a.pre + b * 3 * H;
    const float* hp = a.h_in + b * H;
    const float* aux = a.lbr ? a.aux + b * H : nullptr;
    float* ho = a.h_out + b * H;
    for_chunks(a.j0, a.j1, [&](int64_t j, auto n) {
      float x[kChunk], z[kChunk], r[kChunk], hn[kChunk];
      preact(pre + j, at(a.bias, j), nullptr, nullptr, a.clip, x, n);
      act_forward(a.f, x, z, n);
      if (a.lbr) {
        preact(pre + H + j, at(a.bias, H + j), nullptr, nullptr, a.clip, x, n);
        act_forward(a.f, x, r, n);
      }
      gru_h_preact(a, pre + 2 * H + j, at(a.bias, 2 * H + j), r, at(aux, j), at(a.rbh, j), x,
                   n);
      if (a.clip > 0.0f) {
        for (int64_t i = 0; i < n; ++i) x[i] = min_f(max_f(x[i], -a.clip), a.clip);
      }
      act_forward(a.g, x, hn, n);
      const float* hpj = hp + j;
      float* hoj = ho + j;
      for (int64_t i = 0; i < n; ++i) hoj[i] = (1.0f - z[i]) * hn[i] + z[i] * hpj[i];
    });
    if (a.y) copy_row(ho + a.j0, a.y + b * H + a.j0, a.j1 - a.j0);
  }
}

void gru_backward(const GateArgs& a, int64_t b0, int64_t b1) {
  const int64_t H = a.H;
  for (int64_t b = b0; b < b1; ++b) {
    float* da = a.da + b * 3 * H;
    if (!active(a, b)) {
      zero_row(da, 3 * H);
      if (a.lbr) zero_row(a.daux + b * H, H);
      continue;
    }
    const float* pre = a.pre + b * 3 * H;
    const float* hp = a.h_in + b * H;
    const float* aux = a.lbr ? a.aux + b * H : nullptr;
    const float* dy = a.dy ? a.dy + b * H : nullptr;
    float* dh = a.dh + b * H;
    for_chunks(0, H, [&](int64_t j, auto n) {
      float z[kChunk], dz[kChunk], r[kChunk], dr[kChunk], x[kChunk], hn[kChunk], dhn[kChunk];
      gate_grad(a.f, pre + j, at(a.bias, j), nullptr, nullptr, a.clip, z, dz, n);
      if (a.lbr) gate_grad(a.f, pre + H + j, at(a.bias, H + j), nullptr, nullptr, a.clip, r, dr, n);
      const float* rbh = at(a.rbh, j);
      gru_h_preact(a, pre + 2 * H + j, at(a.bias, 2 * H + j), r, at(aux, j), rbh, x, n);
      gate_grad(a.g, x, nullptr, nullptr, nullptr, a.clip, hn, dhn, n);
      const float* hpj = hp + j;
      float* dhj = dh + j;
      float dH[kChunk];
      if (dy) {
        for (int64_t i = 0; i < n; ++i) dH[i] = dhj[i] + dy[j + i];
      } else {
        for (int64_t i = 0; i < n; ++i) dH[i] = dhj[i];
      }
      float* daz = da + j;
      float* dah = da + 2 * H + j;
      for (int64_t i = 0; i < n; ++i) daz[i] = dH[i] * (hpj[i] - hn[i]) * dz[i];
      for (int64_t i = 0; i < n; ++i) dah[i] = dH[i] * (1.0f - z[i]) * dhn[i];
      for (int64_t i = 0; i < n; ++i) dhj[i] = dH[i] * z[i];
      add_row(at(a.db, j), daz, n);
      add_row(at(a.db, 2 * H + j), dah, n);
      if (a.lbr) {
        const float* auxj = aux + j;
        float* dar = da + H + j;
        float* dauxj = a.daux + b * H + j;
        if (rbh) {
          for (int64_t i = 0; i < n; ++i) dar[i] = dah[i] * (auxj[i] + rbh[i]) * dr[i];
        } else {
          for (int64_t i = 0; i < n; ++i) dar[i] = dah[i] * auxj[i] * dr[i];
        }
        for (int64_t i = 0; i < n; ++i) dauxj[i] = dah[i] * r[i];
        add_row(at(a.db, H + j), dar, n);
        add_row(at(a.db, 3 * H + j), dauxj, n);
      }
    });
  }
}

void gru_backward_reset(const GateArgs& a, int64_t b0, int64_t b1) {
  const int64_t H = a.H;
  for (int64_t b = b0; b < b1; ++b) {
    if (!active(a, b)) continue;
    const float* pr = a.pre + b * 3 * H + H;
    const float* hp = a.h_in + b * H;
    const float* g = a.daux + b * H;
    float* dar = a.da + b * 3 * H + H;
    float* dh = a.dh + b * H;
    for_chunks(0, H, [&](int64_t j, auto n) {
      float r[kChunk], dr[kChunk];
      gate_grad(a.f, pr + j, at(a.bias, H + j), nullptr, nullptr, a.clip, r, dr, n);
      for (int64_t i = 0; i < n; ++i) {
        dar[j + i] = g[j + i] * hp[j + i] * dr[i];
        dh[j + i] += g[j + i] * r[i];
      }
      add_row(at(a.db, H + j), dar + j, n);
    });
  }
}

}  // namespace

const GateKernels kernels = {
    rnn_forward, rnn_backward, lstm_forward, lstm_backward,
    gru_reset,   gru_forward,  gru_backward, gru_backward_reset,
};

}  // namespace LOOM_GATES_NS
}  // namespace cells
}  // namespace loom
