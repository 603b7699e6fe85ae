// Single-precision GEMM, row-major:  C[M,N] = alpha * op(A)[M,K] @ op(B)[K,N] + beta * C
// op(A) = A (lda >= K) or A^T (A stored [K,M], lda >= M); likewise op(B) with ldb.
// beta == 0 overwrites C (NaNs in C do not propagate), as BLAS does.
#pragma once
#include <cstdint>
#include <memory>

namespace loom {

void sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
           const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
           int64_t ldc);

// op(B) packed once into the layout the micro-kernels read, for a right-hand matrix used
// many times (the recurrent weights R^T inside the time loop). Immutable after packing.
class PackedB {
 public:
  PackedB(bool trans_b, int64_t K, int64_t N, const float* B, int64_t ldb);
  // Packs into `storage` (floats(K, N) floats, kept by the caller) instead of its own memory.
  PackedB(bool trans_b, int64_t K, int64_t N, const float* B, int64_t ldb, float* storage);
  // A view of panels an earlier PackedB(..., storage) wrote there, under the same kernel.
  PackedB(int64_t K, int64_t N, const float* packed);
  ~PackedB();
  // Floats the active kernel's layout of a K x N op(B) takes.
  static int64_t floats(int64_t K, int64_t N);
  PackedB(const PackedB&) = delete;
  PackedB& operator=(const PackedB&) = delete;
  int64_t K() const;
  int64_t N() const;
  // Width of the packed panels: gemv_packed's column ranges start on a multiple.
  int64_t panel_width() const;
  struct Impl;
  const Impl& impl() const { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

// Width of the panels PackedB packs into for the active kernel (its nr).
int64_t packed_panel_width();

void sgemm_packed(bool trans_a, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                  int64_t lda, const PackedB& B, float beta, float* C, int64_t ldc);

// Plain triple loop with double accumulation: what the fast paths are tested against.
void sgemm_reference(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                     const float* A, int64_t lda, const float* B, int64_t ldb, float beta,
                     float* C, int64_t ldc);

}  // namespace loom

namespace loom {

// y[b*ldy + i] = R[i, :] . x[b*ldx : +K]  (+ y[...] when beta == 1; beta is 0 or 1) for
// rows i < M of a row-major R [M, K] with row stride ldr, read in place, and vectors b < nx.
// The small-batch step of a short sequence: a few rows of h against R's gate rows, where
// packing R would cost more than the steps could win back (gemv_packed serves long ones).
void gemv(int64_t M, int64_t K, const float* R, int64_t ldr, int64_t nx, const float* x,
          int64_t ldx, float beta, float* y, int64_t ldy);
// y[0 : n1-n0] = x[0:K] @ packed B[:, n0:n1] (+ y when beta == 1; beta is 0 or 1), on the
// calling thread; n0 is a multiple of B.panel_width(). The one-vector recurrent step over
// R^T packed once per sequence: each panel streams sequentially.
void gemv_packed(const float* x, const PackedB& B, int64_t n0, int64_t n1, float beta, float* y);
// gemv with double accumulation: what gemv and gemv_packed are tested against.
void gemv_reference(int64_t M, int64_t K, const float* R, int64_t ldr, int64_t nx,
                    const float* x, int64_t ldx, float beta, float* y, int64_t ldy);

}  // namespace loom
