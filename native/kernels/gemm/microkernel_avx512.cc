// AVX-512 micro-kernel: 14 x 32 tile, 28 zmm accumulators (2 per row of C), rows of A
// broadcast, B read as two zmm per k. Zen 4 issues one 512-bit FMA per cycle with latency
// 4, so 28 independent chains keep the FMA pipe full with room for the 16 loads per k.
// Compiled with -mavx512f -mavx512dq -mavx512bw -mavx512vl -mavx2 -mfma only.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "microkernel.h"
#include "microkernel_common.h"
#include "avx_transpose.h"

namespace loom {
namespace gemm {
namespace avx512 {
namespace {

constexpr int kMR = 14;
constexpr int kNR = 32;

// Few rows leave too few accumulator chains to hide FMA latency (the M = 1 recurrent
// step), so those tiles split k over S independent accumulator sets.
constexpr int splits_for(int rows) { return rows == 1 ? 4 : rows <= 3 ? 2 : 1; }

inline void update_row(float* c, __m512 r0, __m512 r1, int64_t n, __m512 alpha, float beta) {
  r0 = _mm512_mul_ps(r0, alpha);
  r1 = _mm512_mul_ps(r1, alpha);
  if (n == kNR) {
    if (beta != 0.0f) {
      const __m512 vb = _mm512_set1_ps(beta);
      r0 = _mm512_fmadd_ps(_mm512_loadu_ps(c), vb, r0);
      r1 = _mm512_fmadd_ps(_mm512_loadu_ps(c + 16), vb, r1);
    }
    _mm512_storeu_ps(c, r0);
    _mm512_storeu_ps(c + 16, r1);
    return;
  }
  const __mmask16 m0 = n >= 16 ? __mmask16(0xffff) : __mmask16((1u << n) - 1u);
  const __mmask16 m1 = n >= 32 ? __mmask16(0xffff)
                       : n > 16 ? __mmask16((1u << (n - 16)) - 1u)
                                : __mmask16(0);
  if (beta != 0.0f) {
    const __m512 vb = _mm512_set1_ps(beta);
    r0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m0, c), vb, r0);
    r1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m1, c + 16), vb, r1);
  }
  _mm512_mask_storeu_ps(c, m0, r0);
  _mm512_mask_storeu_ps(c + 16, m1, r1);
}

// c[0:M, 0:n] = alpha * a^T b + beta * c; a panel stride kMR, b rows ldb apart.
template <int M>
void tile(int64_t kc, const float* a, const float* b, int64_t ldb, float* c, int64_t ldc,
          int64_t n, float alpha, float beta) {
  constexpr int S = splits_for(M);
  __m512 acc[S][M][2];
#pragma GCC unroll 64
  for (int s = 0; s < S; ++s) {
#pragma GCC unroll 64
    for (int i = 0; i < M; ++i) {
      acc[s][i][0] = _mm512_setzero_ps();
      acc[s][i][1] = _mm512_setzero_ps();
    }
  }
#pragma GCC unroll 64
  for (int i = 0; i < M; ++i) _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);

  int64_t k = 0;
  for (; k + S <= kc; k += S) {
#pragma GCC unroll 4
    for (int s = 0; s < S; ++s) {
      const float* bk = b + (k + s) * ldb;
      const float* ak = a + (k + s) * kMR;
      const __m512 b0 = _mm512_loadu_ps(bk);
      const __m512 b1 = _mm512_loadu_ps(bk + 16);
#pragma GCC unroll 64
      for (int i = 0; i < M; ++i) {
        const __m512 ai = _mm512_set1_ps(ak[i]);
        acc[s][i][0] = _mm512_fmadd_ps(ai, b0, acc[s][i][0]);
        acc[s][i][1] = _mm512_fmadd_ps(ai, b1, acc[s][i][1]);
      }
    }
  }
  for (; k < kc; ++k) {
    const __m512 b0 = _mm512_loadu_ps(b + k * ldb);
    const __m512 b1 = _mm512_loadu_ps(b + k * ldb + 16);
#pragma GCC unroll 64
    for (int i = 0; i < M; ++i) {
      const __m512 ai = _mm512_set1_ps(a[k * kMR + i]);
      acc[0][i][0] = _mm512_fmadd_ps(ai, b0, acc[0][i][0]);
      acc[0][i][1] = _mm512_fmadd_ps(ai, b1, acc[0][i][1]);
    }
  }
#pragma GCC unroll 4
  for (int s = 1; s < S; ++s) {
#pragma GCC unroll 64
    for (int i = 0; i < M; ++i) {
      acc[0][i][0] = _mm512_add_ps(acc[0][i][0], acc[s][i][0]);
      acc[0][i][1] = _mm512_add_ps(acc[0][i][1], acc[s][i][1]);
    }
  }

  const __m512 va = _mm512_set1_ps(alpha);
#pragma GCC unroll 64
  for (int i = 0; i < M; ++i) update_row(c + i * ldc, acc[0][i][0], acc[0][i][1], n, va, beta);
}

void kernel(int64_t kc, const float* a, const float* b, int64_t ldb, float* c, int64_t ldc,
            int64_t m, int64_t n, float alpha, float beta) {
  switch (m) {
    case 14: tile<14>(kc, a, b, ldb, c, ldc, n, alpha, beta); break;
    case 13: tile<13>(kc, a, b, ldb, c, ldc, n, alpha, beta); break;
    case 12: tile<12>(kc, a, b, ldb, c, ldc, n, alpha, beta); break;
    case 11: tile<11>(kc, a, b, ldb, c, ldc, n, alpha, beta); break;
    case 10: tile<10>(kc, a, b, ldb, c, ldc, n, alpha, beta); break;
    case 9: tile<9>(kc, a, b, ldb, c, ldc, n, alpha, beta); break;
    case 8: tile<8>(kc, a, b, ldb, c, ldc, n, alpha, beta); break;
    case 7: tile<7>(kc, a, b, ldb, c, ldc, n, alpha, beta); break;
    case 6: tile<6>(kc, a, b, ldb, c, ldc, n, alpha, beta); break;
    case 5: tile<5>(kc, a, b, ldb, c, ldc, n, alpha, beta); break;
    case 4: tile<4>(kc, a, b, ldb, c, ldc, n, alpha, beta); break;
    case 3: tile<3>(kc, a, b, ldb, c, ldc, n, alpha, beta); break;
    case 2: tile<2>(kc, a, b, ldb, c, ldc, n, alpha, beta); break;
    default: tile<1>(kc, a, b, ldb, c, ldc, n, alpha, beta); break;
  }
}


// dst[k * W + i] = src[i * ld + k] for i < lines, 0 for lines <= i < W: the panel runs
// across the storage rows (A untransposed, B transposed), so 8 x 8 blocks are transposed.
template <int W>
void pack_across(const float* src, int64_t ld, int64_t lines, int64_t kc, float* dst) {
  int64_t k = 0;
  for (; k + 8 <= kc; k += 8) {
#pragma GCC unroll 4
    for (int g = 0; g < W; g += 8) {
      const int lanes = W - g < 8 ? W - g : 8;
      const int64_t valid = lines - g < 0 ? 0 : lines - g < lanes ? lines - g : lanes;
      __m256 r[8];
#pragma GCC unroll 8
      for (int j = 0; j < 8; ++j) {
        r[j] = j < valid ? _mm256_loadu_ps(src + (g + j) * ld + k) : _mm256_setzero_ps();
      }
      transpose8(r);
      const __mmask8 mask = static_cast<__mmask8>((1u << lanes) - 1u);
#pragma GCC unroll 8
      for (int j = 0; j < 8; ++j) _mm256_mask_storeu_ps(dst + (k + j) * W + g, mask, r[j]);
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
  constexpr int G = (W + 15) / 16;
  const int64_t full = lines / W, rest = lines % W;
  __mmask16 store[G], tail[G];
#pragma GCC unroll 4
  for (int g = 0; g < G; ++g) {
    const int64_t width = W - 16 * g < 16 ? W - 16 * g : 16;
    const int64_t valid = rest - 16 * g < 0 ? 0 : rest - 16 * g < width ? rest - 16 * g : width;
    store[g] = static_cast<__mmask16>((1u << width) - 1u);
    tail[g] = static_cast<__mmask16>((1u << valid) - 1u);
  }
  for (int64_t k = 0; k < kc; ++k) {
    const float* s = src + k * ld;
    float* d = dst + k * W;
    for (int64_t q = 0; q < full; ++q, s += W, d += W * kc) {
#pragma GCC unroll 4
      for (int g = 0; g < G; ++g) {
        _mm512_mask_storeu_ps(d + 16 * g, store[g], _mm512_maskz_loadu_ps(store[g], s + 16 * g));
      }
    }
    if (rest != 0) {
#pragma GCC unroll 4
      for (int g = 0; g < G; ++g) {
        _mm512_mask_storeu_ps(d + 16 * g, store[g], _mm512_maskz_loadu_ps(tail[g], s + 16 * g));
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

// Dot products of 16 rows of R with x, lane i = row i. Rows past `rows` repeat row 0 and
// are discarded by the caller. 16 independent accumulators hide the FMA latency; x is
// loaded once per 16 columns for all rows.
// GCC 12's plain forms of these shuffles pass an undefined source vector that -Wextra
// reports as uninitialized; the all-ones zero-masked forms are the same instructions.
inline __m512 unpacklo(__m512 a, __m512 b) { return _mm512_maskz_unpacklo_ps(0xffff, a, b); }
inline __m512 unpackhi(__m512 a, __m512 b) { return _mm512_maskz_unpackhi_ps(0xffff, a, b); }
template <int imm>
inline __m512 shuffle_ps(__m512 a, __m512 b) { return _mm512_maskz_shuffle_ps(0xffff, a, b, imm); }
template <int imm>
inline __m512 shuffle_f32x4(__m512 a, __m512 b) {
  return _mm512_maskz_shuffle_f32x4(0xffff, a, b, imm);
}

inline __m512 dot16(int64_t K, const float* R, int64_t ldr, int64_t rows, const float* x) {
  __m512 acc[16];
#pragma GCC unroll 16
  for (int i = 0; i < 16; ++i) acc[i] = _mm512_setzero_ps();
  int64_t k = 0;
  for (; k + 16 <= K; k += 16) {
    const __m512 xv = _mm512_loadu_ps(x + k);
    const float* r = R + k;
#pragma GCC unroll 16
    for (int i = 0; i < 16; ++i) {
      const int64_t row = i < rows ? i : 0;
      acc[i] = _mm512_fmadd_ps(_mm512_loadu_ps(r + row * ldr), xv, acc[i]);
    }
  }
  if (k < K) {
    const __mmask16 m = static_cast<__mmask16>((1u << (K - k)) - 1u);
    const __m512 xv = _mm512_maskz_loadu_ps(m, x + k);
    const float* r = R + k;
#pragma GCC unroll 16
    for (int i = 0; i < 16; ++i) {
      const int64_t row = i < rows ? i : 0;
      acc[i] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, r + row * ldr), xv, acc[i]);
    }
  }
  // Transpose-and-add tree: within each 128-bit lane j, c[q] = [S(4q)_j .. S(4q+3)_j],
  // then the four 128-bit lanes of each c[q] are summed into 128-bit lane q: rows 4q..4q+3.
  __m512 c[4];
#pragma GCC unroll 4
  for (int q = 0; q < 4; ++q) {
    const __m512* a = acc + 4 * q;
    const __m512 t0 = _mm512_add_ps(unpacklo(a[0], a[1]), unpackhi(a[0], a[1]));
    const __m512 t1 = _mm512_add_ps(unpacklo(a[2], a[3]), unpackhi(a[2], a[3]));
    c[q] = _mm512_add_ps(shuffle_ps<0x44>(t0, t1), shuffle_ps<0xee>(t0, t1));
  }
  const __m512 e0 = _mm512_add_ps(shuffle_f32x4<0x88>(c[0], c[1]), shuffle_f32x4<0xdd>(c[0], c[1]));
  const __m512 e1 = _mm512_add_ps(shuffle_f32x4<0x88>(c[2], c[3]), shuffle_f32x4<0xdd>(c[2], c[3]));
  return _mm512_add_ps(shuffle_f32x4<0x88>(e0, e1), shuffle_f32x4<0xdd>(e0, e1));
}

void gemv(int64_t M, int64_t K, const float* R, int64_t ldr, int64_t nx, const float* x,
          int64_t ldx, float beta, float* y, int64_t ldy) {
  for (int64_t i = 0; i < M; i += 16) {
    const int64_t rows = M - i < 16 ? M - i : 16;
    const __mmask16 m = rows == 16 ? __mmask16(0xffff) : __mmask16((1u << rows) - 1u);
    for (int64_t b = 0; b < nx; ++b) {
      float* yb = y + b * ldy + i;
      __m512 out = dot16(K, R + i * ldr, ldr, rows, x + b * ldx);
      if (beta != 0.0f) out = _mm512_add_ps(out, _mm512_maskz_loadu_ps(m, yb));
      _mm512_mask_storeu_ps(yb, m, out);
    }
  }
}

}  // namespace

static_assert(kMR == 14, "kernel() dispatches rows 1..14");

const MicroKernel& micro_kernel() {
  // The 224 x 384 packed A block (~340 KiB) stays in the 1 MiB L2 across the nc loop. The
  // 384 x 32 B micro-panel (48 KiB) outgrows L1, but the kernel needs only ~7 B/cycle
  // from L2; the deeper kc halves C traffic. Measured best among mc 168..336, kc 256..512.
  static const MicroKernel k{"avx512-14x32", kMR, kNR, 224, 384, 4096, &kernel, &pack_a, &pack_b,
                             &gemv, &gemv_packed_panels<kNR, 16>};
  return k;
}

}  // namespace avx512
}  // namespace gemm
}  // namespace loom
