// SSE micro-kernel (no FMA): 4 x 8 tile, 8 xmm accumulators (2 per row of C); the
// separate multiply needs a temporary, so a larger tile would spill from the 16 xmm.
// Compiled with -msse4.2 only.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "microkernel.h"
#include "microkernel_common.h"

namespace loom {
namespace gemm {
namespace sse {
namespace {

constexpr int kMR = 4;
constexpr int kNR = 8;

// One row leaves two dependent add chains, so that tile splits k over two sets.
constexpr int splits_for(int rows) { return rows == 1 ? 2 : 1; }

inline void update_row(float* c, __m128 r0, __m128 r1, int64_t n, float alpha, float beta) {
  const __m128 va = _mm_set1_ps(alpha);
  r0 = _mm_mul_ps(r0, va);
  r1 = _mm_mul_ps(r1, va);
  if (n == kNR) {
    if (beta != 0.0f) {
      const __m128 vb = _mm_set1_ps(beta);
      r0 = _mm_add_ps(r0, _mm_mul_ps(_mm_loadu_ps(c), vb));
      r1 = _mm_add_ps(r1, _mm_mul_ps(_mm_loadu_ps(c + 4), vb));
    }
    _mm_storeu_ps(c, r0);
    _mm_storeu_ps(c + 4, r1);
    return;
  }
  // Partial columns go through a stack row so nothing past c[n-1] is touched.
  float t[kNR];
  _mm_storeu_ps(t, r0);
  _mm_storeu_ps(t + 4, r1);
  if (beta == 0.0f) {
    for (int64_t j = 0; j < n; ++j) c[j] = t[j];
  } else {
    for (int64_t j = 0; j < n; ++j) c[j] = t[j] + beta * c[j];
  }
}

// c[0:M, 0:n] = alpha * a^T b + beta * c; a panel stride kMR, b rows ldb apart.
template <int M>
void tile(int64_t kc, const float* a, const float* b, int64_t ldb, float* c, int64_t ldc,
          int64_t n, float alpha, float beta) {
  constexpr int S = splits_for(M);
  __m128 acc[S][M][2];
#pragma GCC unroll 8
  for (int s = 0; s < S; ++s) {
#pragma GCC unroll 8
    for (int i = 0; i < M; ++i) {
      acc[s][i][0] = _mm_setzero_ps();
      acc[s][i][1] = _mm_setzero_ps();
    }
  }
  int64_t k = 0;
  for (; k + S <= kc; k += S) {
#pragma GCC unroll 2
    for (int s = 0; s < S; ++s) {
      const float* bk = b + (k + s) * ldb;
      const float* ak = a + (k + s) * kMR;
      const __m128 b0 = _mm_loadu_ps(bk);
      const __m128 b1 = _mm_loadu_ps(bk + 4);
#pragma GCC unroll 8
      for (int i = 0; i < M; ++i) {
        const __m128 ai = _mm_set1_ps(ak[i]);
        acc[s][i][0] = _mm_add_ps(acc[s][i][0], _mm_mul_ps(ai, b0));
        acc[s][i][1] = _mm_add_ps(acc[s][i][1], _mm_mul_ps(ai, b1));
      }
    }
  }
  for (; k < kc; ++k) {
    const __m128 b0 = _mm_loadu_ps(b + k * ldb);
    const __m128 b1 = _mm_loadu_ps(b + k * ldb + 4);
#pragma GCC unroll 8
    for (int i = 0; i < M; ++i) {
      const __m128 ai = _mm_set1_ps(a[k * kMR + i]);
      acc[0][i][0] = _mm_add_ps(acc[0][i][0], _mm_mul_ps(ai, b0));
      acc[0][i][1] = _mm_add_ps(acc[0][i][1], _mm_mul_ps(ai, b1));
    }
  }
#pragma GCC unroll 2
  for (int s = 1; s < S; ++s) {
#pragma GCC unroll 8
    for (int i = 0; i < M; ++i) {
      acc[0][i][0] = _mm_add_ps(acc[0][i][0], acc[s][i][0]);
      acc[0][i][1] = _mm_add_ps(acc[0][i][1], acc[s][i][1]);
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < M; ++i) update_row(c + i * ldc, acc[0][i][0], acc[0][i][1], n, alpha, beta);
}

void kernel(int64_t kc, const float* a, const float* b, int64_t ldb, float* c, int64_t ldc,
            int64_t m, int64_t n, float alpha, float beta) {
  switch (m) {
    case 4: tile<4>(kc, a, b, ldb, c, ldc, n, alpha, beta); break;
    case 3: tile<3>(kc, a, b, ldb, c, ldc, n, alpha, beta); break;
    case 2: tile<2>(kc, a, b, ldb, c, ldc, n, alpha, beta); break;
    default: tile<1>(kc, a, b, ldb, c, ldc, n, alpha, beta); break;
  }
}

// dst[k * W + i] = src[i * ld + k] for i < lines, 0 for lines <= i < W: the panel runs
// across the storage rows (A untransposed, B transposed), so 4 x 4 blocks are transposed.
template <int W>
void pack_across(const float* src, int64_t ld, int64_t lines, int64_t kc, float* dst) {
  int64_t k = 0;
  if (lines == W) {
    for (; k + 4 <= kc; k += 4) {
#pragma GCC unroll 2
      for (int g = 0; g < W; g += 4) {
        __m128 r0 = _mm_loadu_ps(src + (g + 0) * ld + k);
        __m128 r1 = _mm_loadu_ps(src + (g + 1) * ld + k);
        __m128 r2 = _mm_loadu_ps(src + (g + 2) * ld + k);
        __m128 r3 = _mm_loadu_ps(src + (g + 3) * ld + k);
        _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
        _mm_storeu_ps(dst + (k + 0) * W + g, r0);
        _mm_storeu_ps(dst + (k + 1) * W + g, r1);
        _mm_storeu_ps(dst + (k + 2) * W + g, r2);
        _mm_storeu_ps(dst + (k + 3) * W + g, r3);
      }
    }
  }
  for (; k < kc; ++k) {
    for (int64_t i = 0; i < W; ++i) dst[k * W + i] = i < lines ? src[i * ld + k] : 0.0f;
  }
}

// dst panel q, row k: dst[q * W * kc + k * W + i] = src[k * ld + q * W + i] for
// q * W + i < lines, else 0. The panels run along the storage rows; k is the outer loop
// so B (or A^T) is read row after row, which the prefetchers follow, instead of one
// W-wide strip down all rows per panel, which touches a new page every row.
template <int W>
void pack_along(const float* src, int64_t ld, int64_t lines, int64_t kc, float* dst) {
  const int64_t full = lines / W, rest = lines % W;
  for (int64_t k = 0; k < kc; ++k) {
    const float* s = src + k * ld;
    float* d = dst + k * W;
    for (int64_t q = 0; q < full; ++q, s += W, d += W * kc) {
#pragma GCC unroll 2
      for (int g = 0; g < W; g += 4) _mm_storeu_ps(d + g, _mm_loadu_ps(s + g));
    }
    if (rest != 0) {
      for (int64_t i = 0; i < W; ++i) d[i] = i < rest ? s[i] : 0.0f;
    }
  }
}

void pack_a(bool trans, const float* src, int64_t lda, int64_t mc, int64_t kc, float* dst) {
  pack_a_panels<kMR>(&pack_across<kMR>, &pack_along<kMR>, trans, src, lda, mc, kc, dst);
}

void pack_b(bool trans, const float* src, int64_t ldb, int64_t kc, int64_t nc, float* dst) {
  pack_b_panels<kNR>(&pack_across<kNR>, &pack_along<kNR>, trans, src, ldb, kc, nc, dst);
}

// Dot products of 4 rows of R with x, lane i = row i, written to out[0..4]. Rows past
// `rows` repeat row 0 and are discarded by the caller.
inline void dot4(int64_t K, const float* R, int64_t ldr, int64_t rows, const float* x,
                 float* out) {
  __m128 acc[4];
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i) acc[i] = _mm_setzero_ps();
  int64_t k = 0;
  for (; k + 4 <= K; k += 4) {
    const __m128 xv = _mm_loadu_ps(x + k);
    const float* r = R + k;
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i) {
      const int64_t row = i < rows ? i : 0;
      acc[i] = _mm_add_ps(acc[i], _mm_mul_ps(_mm_loadu_ps(r + row * ldr), xv));
    }
  }
  // Transpose-and-add: lane i ends up holding the sum of acc[i].
  const __m128 t0 = _mm_add_ps(_mm_unpacklo_ps(acc[0], acc[1]), _mm_unpackhi_ps(acc[0], acc[1]));
  const __m128 t1 = _mm_add_ps(_mm_unpacklo_ps(acc[2], acc[3]), _mm_unpackhi_ps(acc[2], acc[3]));
  _mm_storeu_ps(out, _mm_add_ps(_mm_shuffle_ps(t0, t1, 0x44), _mm_shuffle_ps(t0, t1, 0xee)));
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t kk = k; kk < K; ++kk) out[i] += R[i * ldr + kk] * x[kk];
  }
}

void gemv(int64_t M, int64_t K, const float* R, int64_t ldr, int64_t nx, const float* x,
          int64_t ldx, float beta, float* y, int64_t ldy) {
  gemv_rows<4>(&dot4, M, K, R, ldr, nx, x, ldx, beta, y, ldy);
}

}  // namespace

static_assert(kMR == 4, "kernel() dispatches rows 1..4");

const MicroKernel& micro_kernel() {
  // kc x 8 B micro-panel (8 KiB at kc = 256) in L1; the mc x kc A block in L2.
  static const MicroKernel k{"sse-4x8", kMR, kNR, 128, 256, 4096, &kernel, &pack_a, &pack_b,
                             &gemv, &gemv_packed_panels<kNR, 4>};
  return k;
}

}  // namespace sse
}  // namespace gemm
}  // namespace loom
