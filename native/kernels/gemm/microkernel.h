// GEMM micro-kernels: one register-tiled inner kernel per instruction-set level, each in
// its own translation unit compiled with that level's flags, and the choice among them.
//
// This header is included by those translation units, so it holds plain declarations
// only: an inline function defined here and instantiated with AVX-512 code could be
// merged by the linker into the baseline build and fault on older CPUs.
#pragma once
#include <cstddef>
#include <cstdint>

#include "../../cpu/isa.h"

namespace loom {
namespace gemm {

// Panel layouts the kernels read (zero-padded past the matrix edge):
//   A panel: op(A)[i0 : i0+mr, k0 : k0+kc] stored k-major, a[k * mr + i]
//   B panel: op(B)[k0 : k0+kc, j0 : j0+nr] stored k-major, b[k * nr + j]
//
// c[0:m, 0:n] (row stride ldc) = alpha * a^T b + beta * c, for m <= mr, n <= nr, where
// b's k-rows are ldb apart: nr for a packed panel, or B's own row stride when a small-M
// product reads a full-width panel of an untransposed B in place instead of packing it.
// beta == 0 writes c without reading it, so NaNs already in c do not propagate.
using MicroKernelFn = void (*)(int64_t kc, const float* a, const float* b, int64_t ldb,
                               float* c, int64_t ldc, int64_t m, int64_t n, float alpha,
                               float beta);

// src = &op(A)[i0, k0] of A stored with row stride lda (A^T stored when trans):
// writes ceil(mc / mr) A panels of kc x mr, one after another.
using PackAFn = void (*)(bool trans, const float* src, int64_t lda, int64_t mc, int64_t kc,
                         float* dst);
// src = &op(B)[k0, j0] of B stored with row stride ldb (B^T stored when trans):
// writes ceil(nc / nr) B panels of kc x nr, one after another.
using PackBFn = void (*)(bool trans, const float* src, int64_t ldb, int64_t kc, int64_t nc,
                         float* dst);

// y[b*ldy + i] = R[i, :] . x[b*ldx : +K] (+ y[...] when beta == 1) for rows i < M of R
// (row-major, stride ldr) and vectors b < nx. Rows go in blocks of one vector's lanes, a dot
// product per lane, so R streams in place, row after row, and each block serves all nx
// vectors while it is in L1.
using GemvFn = void (*)(int64_t M, int64_t K, const float* R, int64_t ldr, int64_t nx,
                        const float* x, int64_t ldx, float beta, float* y, int64_t ldy);

// y[j - n0] = x[0:K] . op(B)[:, j] (+ y[j - n0] when beta == 1) for columns n0 <= j < n1 of
// a B packed as nr-wide panels in kc-deep blocks (PackedB's layout: block pc holds `panels`
// panels of kcur x nr, one after another); n0 is a multiple of nr. Each panel is one
// sequential stream, and k is split over independent accumulators to hide FMA latency:
// the one-vector recurrent step, where R^T is packed once per sequence.
using GemvPackedFn = void (*)(const float* x, int64_t K, int64_t kc, const float* data,
                              int64_t panels, int64_t N, int64_t n0, int64_t n1, float beta,
                              float* y);

struct MicroKernel {
  const char* name;
  int mr;  // rows of C per call (broadcast from the A panel)
  int nr;  // columns of C per call (vector loads from the B panel)
  // Cache blocking for this kernel's tile: an mc x kc block of packed A is reused from L2
  // across the whole nc-wide B block; kc x nr micro-panels of B stream through L1.
  int mc, kc, nc;
  MicroKernelFn kernel;
  // Packing lives with the kernel: the layout depends on mr / nr, and the transposing
  // cases need the level's shuffles to keep up with the kernel.
  PackAFn pack_a;
  PackBFn pack_b;
  GemvFn gemv;
  GemvPackedFn gemv_packed;
};

namespace sse {
const MicroKernel& micro_kernel();
}
namespace avx2 {
const MicroKernel& micro_kernel();
}
namespace avx512 {
const MicroKernel& micro_kernel();
}

// The kernel for one level, and the one for loom::active_isa() (decided once).
const MicroKernel& micro_kernel_for(Isa isa);
const MicroKernel& active_micro_kernel();

}  // namespace gemm
}  // namespace loom
