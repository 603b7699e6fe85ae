// What every ISA's micro-kernel file builds around its own SIMD code: cutting A and B into
// micro-panels with its packers, and running its dot-product kernel over the rows of a
// GEMV. Everything here has internal linkage on purpose: each microkernel_<isa>.cc is
// compiled with its own instruction-set flags, so an inline function shared across them
// could be merged by the linker into the copy built for the widest ISA.
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

}  // namespace
}  // namespace gemm
}  // namespace loom
