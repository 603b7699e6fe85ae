// AVX2 + FMA micro-kernel: 6 x 16 tile, 12 ymm accumulators (2 per row of C), leaving 4
// of the 16 ymm registers for the two B vectors and the A broadcast.
// Compiled with -mavx2 -mfma only.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "microkernel.h"
#include "microkernel_common.h"
#include "avx_transpose.h"

namespace loom {
namespace gemm {
namespace avx2 {
namespace {

constexpr int kMR = 6;
constexpr int kNR = 16;

// Few rows leave too few accumulator chains to hide FMA latency, so those tiles split k
// over S independent accumulator sets.
constexpr int splits_for(int rows) { return rows == 1 ? 4 : rows <= 3 ? 2 : 1; }

inline void update_full_row(float* c, __m256 r0, __m256 r1, __m256 alpha, float beta) {
  r0 = _mm256_mul_ps(r0, alpha);
  r1 = _mm256_mul_ps(r1, alpha);
  if (beta != 0.0f) {
    const __m256 vb = _mm256_set1_ps(beta);
    r0 = _mm256_fmadd_ps(_mm256_loadu_ps(c), vb, r0);
    r1 = _mm256_fmadd_ps(_mm256_loadu_ps(c + 8), vb, r1);
  }
  _mm256_storeu_ps(c, r0);
  _mm256_storeu_ps(c + 8, r1);
}

// Partial columns go through a stack row so nothing past c[n-1] is touched.
inline void update_part_row(float* c, __m256 r0, __m256 r1, int64_t n, float alpha,
                            float beta) {
  float t[kNR];
  _mm256_storeu_ps(t, r0);
  _mm256_storeu_ps(t + 8, r1);
  if (beta == 0.0f) {
    for (int64_t j = 0; j < n; ++j) c[j] = alpha * t[j];
  } else {
    for (int64_t j = 0; j < n; ++j) c[j] = alpha * t[j] + beta * c[j];
  }
}

// c[0:M, 0:n] = alpha * a^T b + beta * c; a panel stride kMR, b rows ldb apart.
template <int M>
void tile(int64_t kc, const float* a, const float* b, int64_t ldb, float* c, int64_t ldc,
          int64_t n, float alpha, float beta) {
  constexpr int S = splits_for(M);
  __m256 acc[S][M][2];
#pragma GCC unroll 16
  for (int s = 0; s < S; ++s) {
#pragma GCC unroll 16
    for (int i = 0; i < M; ++i) {
      acc[s][i][0] = _mm256_setzero_ps();
      acc[s][i][1] = _mm256_setzero_ps();
    }
  }
#pragma GCC unroll 16
  for (int i = 0; i < M; ++i) _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);

  int64_t k = 0;
  for (; k + S <= kc; k += S) {
#pragma GCC unroll 4
    for (int s = 0; s < S; ++s) {
      const float* bk = b + (k + s) * ldb;
      const float* ak = a + (k + s) * kMR;
      const __m256 b0 = _mm256_loadu_ps(bk);
      const __m256 b1 = _mm256_loadu_ps(bk + 8);
#pragma GCC unroll 16
      for (int i = 0; i < M; ++i) {
        const __m256 ai = _mm256_broadcast_ss(ak + i);
        acc[s][i][0] = _mm256_fmadd_ps(ai, b0, acc[s][i][0]);
        acc[s][i][1] = _mm256_fmadd_ps(ai, b1, acc[s][i][1]);
      }
    }
  }
  for (; k < kc; ++k) {
    const __m256 b0 = _mm256_loadu_ps(b + k * ldb);
    const __m256 b1 = _mm256_loadu_ps(b + k * ldb + 8);
#pragma GCC unroll 16
    for (int i = 0; i < M; ++i) {
      const __m256 ai = _mm256_broadcast_ss(a + k * kMR + i);
      acc[0][i][0] = _mm256_fmadd_ps(ai, b0, acc[0][i][0]);
      acc[0][i][1] = _mm256_fmadd_ps(ai, b1, acc[0][i][1]);
    }
  }
#pragma GCC unroll 4
  for (int s = 1; s < S; ++s) {
#pragma GCC unroll 16
    for (int i = 0; i < M; ++i) {
      acc[0][i][0] = _mm256_add_ps(acc[0][i][0], acc[s][i][0]);
      acc[0][i][1] = _mm256_add_ps(acc[0][i][1], acc[s][i][1]);
    }
  }

  if (n == kNR) {
    const __m256 va = _mm256_set1_ps(alpha);
#pragma GCC unroll 16
    for (int i = 0; i < M; ++i) update_full_row(c + i * ldc, acc[0][i][0], acc[0][i][1], va, beta);
  } else {
#pragma GCC unroll 16
    for (int i = 0; i < M; ++i) {
      update_part_row(c + i * ldc, acc[0][i][0], acc[0][i][1], n, alpha, beta);
    }
  }
}

void kernel(int64_t kc, const float* a, const float* b, int64_t ldb, float* c, int64_t ldc,
            int64_t m, int64_t n, float alpha, float beta) {
  switch (m) {
    case 6: tile<6>(kc, a, b, ldb, c, ldc, n, alpha, beta); break;
    case 5: tile<5>(kc, a, b, ldb, c, ldc, n, alpha, beta); break;
    case 4: tile<4>(kc, a, b, ldb, c, ldc, n, alpha, beta); break;
    case 3: tile<3>(kc, a, b, ldb, c, ldc, n, alpha, beta); break;
    case 2: tile<2>(kc, a, b, ldb, c, ldc, n, alpha, beta); break;
    default: tile<1>(kc, a, b, ldb, c, ldc, n, alpha, beta); break;
  }
}

// Lanes [0, count) set: a mask for maskload / maskstore, count in [0, 8].
inline __m256i lane_mask(int64_t count) {
  static const int32_t table[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(table + 8 - count));
}


// dst[k * W + i] = src[i * ld + k] for i < lines, 0 for lines <= i < W: the panel runs
// across the storage rows (A untransposed, B transposed), so 8 x 8 blocks are transposed.
template <int W>
void pack_across(const float* src, int64_t ld, int64_t lines, int64_t kc, float* dst) {
  int64_t k = 0;
  for (; k + 8 <= kc; k += 8) {
#pragma GCC unroll 2
    for (int g = 0; g < W; g += 8) {
      const int lanes = W - g < 8 ? W - g : 8;
      const int64_t valid = lines - g < 0 ? 0 : lines - g < lanes ? lines - g : lanes;
      __m256 r[8];
#pragma GCC unroll 8
      for (int j = 0; j < 8; ++j) {
        r[j] = j < valid ? _mm256_loadu_ps(src + (g + j) * ld + k) : _mm256_setzero_ps();
      }
      transpose8(r);
      if (lanes == 8) {
#pragma GCC unroll 8
        for (int j = 0; j < 8; ++j) _mm256_storeu_ps(dst + (k + j) * W + g, r[j]);
      } else {
        const __m256i mask = lane_mask(lanes);
#pragma GCC unroll 8
        for (int j = 0; j < 8; ++j) _mm256_maskstore_ps(dst + (k + j) * W + g, mask, r[j]);
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
  constexpr int G = (W + 7) / 8;
  const int64_t full = lines / W, rest = lines % W;
  __m256i store[G], tail[G];
#pragma GCC unroll 4
  for (int g = 0; g < G; ++g) {
    const int64_t width = W - 8 * g < 8 ? W - 8 * g : 8;
    store[g] = lane_mask(width);
    tail[g] = lane_mask(rest - 8 * g < 0 ? 0 : rest - 8 * g < width ? rest - 8 * g : width);
  }
  for (int64_t k = 0; k < kc; ++k) {
    const float* s = src + k * ld;
    float* d = dst + k * W;
    for (int64_t q = 0; q < full; ++q, s += W, d += W * kc) {
#pragma GCC unroll 4
      for (int g = 0; g < G; ++g) {
        if (W - 8 * g >= 8) {
          _mm256_storeu_ps(d + 8 * g, _mm256_loadu_ps(s + 8 * g));
        } else {
          _mm256_maskstore_ps(d + 8 * g, store[g], _mm256_maskload_ps(s + 8 * g, store[g]));
        }
      }
    }
    if (rest != 0) {
#pragma GCC unroll 4
      for (int g = 0; g < G; ++g) {
        _mm256_maskstore_ps(d + 8 * g, store[g], _mm256_maskload_ps(s + 8 * g, tail[g]));
      }
    }
  }
}

void pack_a(bool trans, const float* src, int64_t lda, int64_t mc, int64_t kc, float* dst) {
  pack_a_panels<kMR>(&pack_across<kMR>, &pack_along<kMR>, trans, src, lda, mc, kc, dst);
}

void pack_b(bool trans, const float* src, int64_t ldb, int64_t kc, int64_t nc, float* dst) {
  pack_b_panels<kNR>(&pack_across<kNR>, &pack_along<kNR>, trans, src, ldb, kc, nc, dst);
}

// Dot products of 8 rows of R with x, lane i = row i, written to out[0..8]. Rows past
// `rows` repeat row 0 and are discarded by the caller.
inline void dot8(int64_t K, const float* R, int64_t ldr, int64_t rows, const float* x,
                 float* out) {
  __m256 acc[8];
#pragma GCC unroll 8
  for (int i = 0; i < 8; ++i) acc[i] = _mm256_setzero_ps();
  int64_t k = 0;
  for (; k + 8 <= K; k += 8) {
    const __m256 xv = _mm256_loadu_ps(x + k);
    const float* r = R + k;
#pragma GCC unroll 8
    for (int i = 0; i < 8; ++i) {
      const int64_t row = i < rows ? i : 0;
      acc[i] = _mm256_fmadd_ps(_mm256_loadu_ps(r + row * ldr), xv, acc[i]);
    }
  }
  // Transpose-and-add tree: within each 128-bit lane j, c[q] = [S(4q)_j .. S(4q+3)_j].
  __m256 c[2];
#pragma GCC unroll 2
  for (int q = 0; q < 2; ++q) {
    const __m256* a = acc + 4 * q;
    const __m256 t0 = _mm256_add_ps(_mm256_unpacklo_ps(a[0], a[1]), _mm256_unpackhi_ps(a[0], a[1]));
    const __m256 t1 = _mm256_add_ps(_mm256_unpacklo_ps(a[2], a[3]), _mm256_unpackhi_ps(a[2], a[3]));
    c[q] = _mm256_add_ps(_mm256_shuffle_ps(t0, t1, 0x44), _mm256_shuffle_ps(t0, t1, 0xee));
  }
  _mm256_storeu_ps(out, _mm256_add_ps(_mm256_permute2f128_ps(c[0], c[1], 0x20),
                                      _mm256_permute2f128_ps(c[0], c[1], 0x31)));
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t kk = k; kk < K; ++kk) out[i] += R[i * ldr + kk] * x[kk];
  }
}

void gemv(int64_t M, int64_t K, const float* R, int64_t ldr, int64_t nx, const float* x,
          int64_t ldx, float beta, float* y, int64_t ldy) {
  gemv_rows<8>(&dot8, M, K, R, ldr, nx, x, ldx, beta, y, ldy);
}

}  // namespace

static_assert(kMR == 6, "kernel() dispatches rows 1..6");

const MicroKernel& micro_kernel() {
  // kc x 16 B micro-panel (16 KiB at kc = 256) stays in L1 across the ir loop; the
  // mc x kc packed A block (~190 KiB) in L2.
  static const MicroKernel k{"avx2-6x16", kMR, kNR, 192, 256, 4096, &kernel, &pack_a, &pack_b,
                             &gemv, &gemv_packed_panels<kNR, 8>};
  return k;
}

}  // namespace avx2
}  // namespace gemm
}  // namespace loom
