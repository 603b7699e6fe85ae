// What every ISA's micro-kernel file builds around its own SIMD code: cutting A and B into
// micro-panels with its packers, running its dot-product kernel over the rows of a GEMV,
// and the one-vector product over packed B panels.
// Everything here has internal linkage on purpose: each microkernel_<isa>.cc is compiled
// with its own instruction-set flags, so an inline function shared across them could be
// merged by the linker into the copy built for the widest ISA.
#pragma once
#include <cstdint>

namespace loom {
namespace gemm {
namespace {

using PackFn = void (*)(const float* src, int64_t ld, int64_t lines, int64_t kc, float* dst);

// MR-row panels of A [mc, kc] (or of its transpose: then lines run along storage).
template <int MR>
inline void pack_a_panels(PackFn across, PackFn along, bool trans, const float* src, int64_t lda,
                          int64_t mc, int64_t kc, float* dst) {
  if (trans) {
    along(src, lda, mc, kc, dst);
    return;
  }
  for (int64_t p = 0; p < mc; p += MR, dst += MR * kc) {
    across(src + p * lda, lda, mc - p < MR ? mc - p : MR, kc, dst);
  }
}

// NR-column panels of B [kc, nc] (or of its transpose: then lines run across storage).
template <int NR>
inline void pack_b_panels(PackFn across, PackFn along, bool trans, const float* src, int64_t ldb,
                          int64_t kc, int64_t nc, float* dst) {
  if (!trans) {
    along(src, ldb, nc, kc, dst);
    return;
  }
  for (int64_t p = 0; p < nc; p += NR, dst += NR * kc) {
    across(src + p * ldb, ldb, nc - p < NR ? nc - p : NR, kc, dst);
  }
}

using DotFn = void (*)(int64_t K, const float* R, int64_t ldr, int64_t rows, const float* x,
                       float* out);

// y[b] (+)= R x[b] for each of nx vectors, Rows rows of R per dot-kernel call.
template <int Rows>
inline void gemv_rows(DotFn dot, int64_t M, int64_t K, const float* R, int64_t ldr, int64_t nx,
                      const float* x, int64_t ldx, float beta, float* y, int64_t ldy) {
  for (int64_t i = 0; i < M; i += Rows) {
    const int64_t rows = M - i < Rows ? M - i : Rows;
    for (int64_t b = 0; b < nx; ++b) {
      float* yb = y + b * ldy + i;
      float out[Rows];
      dot(K, R + i * ldr, ldr, rows, x + b * ldx, out);
      for (int64_t r = 0; r < rows; ++r) yb[r] = beta != 0.0f ? yb[r] + out[r] : out[r];
    }
  }
}

// GemvPackedFn over NR-wide panels with vectors of W floats, in GCC vector extensions so that
// each ISA's translation unit compiles it at its own width. Four k-splits of NR / W
// accumulators each keep 8 independent FMA chains in flight for NR = 2 W.
template <int NR, int W>
inline void gemv_packed_panels(const float* x, int64_t K, int64_t kc, const float* data,
                               int64_t panels, int64_t N, int64_t n0, int64_t n1, float beta,
                               float* y) {
  typedef float vec __attribute__((vector_size(W * sizeof(float)), aligned(sizeof(float))));
  constexpr int V = NR / W, S = 4;
  static_assert(NR % W == 0, "panel width must be whole vectors");
  for (int64_t p = n0 / NR; p * NR < n1; ++p) {
    vec acc[S][V] = {};
    for (int64_t pc = 0; pc < K; pc += kc) {
      const int64_t kcur = K - pc < kc ? K - pc : kc;
      const float* b = data + pc * panels * NR + p * kcur * NR;
      const float* xk = x + pc;
      int64_t k = 0;
      for (; k + S <= kcur; k += S) {
#pragma GCC unroll 4
        for (int s = 0; s < S; ++s) {
          const float xs = xk[k + s];
#pragma GCC unroll 4
          for (int v = 0; v < V; ++v) {
            vec bv;
            __builtin_memcpy(&bv, b + (k + s) * NR + v * W, sizeof bv);
            acc[s][v] += xs * bv;
          }
        }
      }
      for (; k < kcur; ++k) {
#pragma GCC unroll 4
        for (int v = 0; v < V; ++v) {
          vec bv;
          __builtin_memcpy(&bv, b + k * NR + v * W, sizeof bv);
          acc[0][v] += xk[k] * bv;
        }
      }
    }
    float out[NR];
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) {
      const vec sum = (acc[0][v] + acc[1][v]) + (acc[2][v] + acc[3][v]);
      __builtin_memcpy(out + v * W, &sum, sizeof sum);
    }
    const int64_t j_end = (p + 1) * NR < n1 ? (p + 1) * NR : n1;
    const int64_t j_last = j_end < N ? j_end : N;
    for (int64_t j = p * NR; j < j_last; ++j) {
      float& o = y[j - n0];
      o = beta != 0.0f ? o + out[j - p * NR] : out[j - p * NR];
    }
  }
}

}  // namespace
}  // namespace gemm
}  // namespace loom
