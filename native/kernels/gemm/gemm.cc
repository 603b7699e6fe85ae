// Cache-blocked SGEMM in the GotoBLAS/BLIS style. C is cut into one rectangular tile per
// thread; each tile runs the classic loop nest
//   jc (nc columns) -> pc (kc depth, pack B) -> ic (mc rows, pack A) -> jr (nr) -> ir (mr)
// around the active ISA's register-tiled micro-kernel (microkernel.h).
#include "gemm.h"

#include <algorithm>
#include <cstdlib>
#include <new>
#include <string>

#include "../../cpu/isa.h"
#include "../../cpu/threads.h"
#include "../error.h"
#include "microkernel.h"

namespace loom {
namespace gemm {

const MicroKernel& micro_kernel_for(Isa isa) {
  switch (isa) {
    case Isa::AVX512: return avx512::micro_kernel();
    case Isa::AVX2: return avx2::micro_kernel();
    case Isa::SSE: break;
  }
  return sse::micro_kernel();
}

const MicroKernel& active_micro_kernel() {
  static const MicroKernel& k = micro_kernel_for(active_isa());
  return k;
}

}  // namespace gemm

namespace {

using gemm::MicroKernel;

// Below this many multiply-adds a second thread costs more to wake than it saves.
constexpr int64_t kParallelMinFma = 64 * 1024;
// Each thread's tile should carry at least this many multiply-adds.
constexpr int64_t kFmaPerThread = 32 * 1024;
// A tile one row panel tall (at least this many rows) reads an untransposed B in place:
// each B panel would serve a single micro-kernel call, too few to repay copying it.
// Fewer rows leave the kernel's strided walk down B latency-bound, and a B slice larger
// than this many floats likely comes from DRAM, where that walk defeats the prefetchers;
// both are faster packed.
constexpr int64_t kDirectBMinRows = 4;
constexpr int64_t kDirectBMaxFloats = int64_t{1} << 20;

int64_t round_up(int64_t x, int64_t to) { return (x + to - 1) / to * to; }

// 64-byte aligned float scratch that only grows; one per thread for the packed panels so
// the recurrent loop's per-step GEMMs never allocate.
class Scratch {
 public:
  Scratch() = default;
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  ~Scratch() { std::free(data_); }

  float* get(int64_t floats) {
    if (floats > size_) {
      std::free(data_);
      const size_t bytes = static_cast<size_t>(round_up(floats * 4, 64));
      data_ = static_cast<float*>(std::aligned_alloc(64, bytes));
      if (data_ == nullptr) {
        size_ = 0;
        throw std::bad_alloc();
      }
      size_ = floats;
    }
    return data_;
  }

 private:
  float* data_ = nullptr;
  int64_t size_ = 0;
};

thread_local Scratch t_pack_a;
thread_local Scratch t_pack_b;

// C[M,N] = beta * C, with beta == 0 clearing NaNs.
void scale_c(int64_t M, int64_t N, float beta, float* C, int64_t ldc) {
  for (int64_t i = 0; i < M; ++i) {
    float* c = C + i * ldc;
    if (beta == 0.0f) {
      std::fill(c, c + N, 0.0f);
    } else if (beta != 1.0f) {
      for (int64_t j = 0; j < N; ++j) c[j] *= beta;
    }
  }
}

[[noreturn]] void invalid(const char* fn, const std::string& what) {
  throw Error("EINVAL", std::string(fn) + ": " + what);
}

void check_dims(const char* fn, int64_t M, int64_t N, int64_t K) {
  if (M < 0) invalid(fn, "M must be >= 0, got " + std::to_string(M));
  if (N < 0) invalid(fn, "N must be >= 0, got " + std::to_string(N));
  if (K < 0) invalid(fn, "K must be >= 0, got " + std::to_string(K));
}

// A matrix stored with `cols` columns per row needs ld >= max(1, cols).
void check_ld(const char* fn, const char* name, int64_t ld, int64_t cols, const char* cols_name) {
  if (ld < std::max<int64_t>(1, cols)) {
    invalid(fn, std::string(name) + " must be >= max(1, " + cols_name + ") = " +
                    std::to_string(std::max<int64_t>(1, cols)) + ", got " + std::to_string(ld));
  }
}

void check_ptr(const char* fn, const char* name, const void* p, int64_t elems) {
  if (p == nullptr && elems > 0) invalid(fn, std::string(name) + " is null");
}

struct Problem {
  bool trans_a, trans_b;
  int64_t M, N, K;
  float alpha;
  const float* A;
  int64_t lda;
  const float* B;  // unused when `packed` is set
  int64_t ldb;
  const PackedB::Impl* packed;
  float beta;
  float* C;
  int64_t ldc;
};

}  // namespace

struct PackedB::Impl {
  const MicroKernel* uk;
  int64_t K, N;
  int64_t kc;              // depth of each packed block, fixed at pack time
  int64_t panels;          // ceil(N / nr)
  float* data = nullptr;   // for each kc block: `panels` panels of kc x nr
  bool owned = true;       // data came from aligned_alloc here (else the caller keeps it)

  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() {
    if (owned) std::free(data);
  }

  // The panels for op(B)[pc : pc+kcur, jc : ...]; jc is a multiple of nr.
  const float* block(int64_t pc, int64_t jc, int64_t kcur) const {
    return data + pc * panels * uk->nr + (jc / uk->nr) * kcur * uk->nr;
  }
};

namespace {

// C[m0:m1, n0:n1] of the problem; n0 is a multiple of nr so pre-packed B panels line up.
void run_tile(const Problem& p, const MicroKernel& uk, int64_t m0, int64_t m1, int64_t n0,
              int64_t n1) {
  const int64_t mr = uk.mr, nr = uk.nr;
  const int64_t kc_max = p.packed ? p.packed->kc : uk.kc;
  const int64_t mc_max = std::min<int64_t>(uk.mc, round_up(m1 - m0, mr));
  const int64_t nc_max = std::min<int64_t>(uk.nc, round_up(n1 - n0, nr));
  const int64_t kc_cap = std::min(kc_max, p.K);
  const bool direct_b = !p.packed && !p.trans_b && m1 - m0 <= mr && m1 - m0 >= kDirectBMinRows &&
                        p.K * (n1 - n0) <= kDirectBMaxFloats;
  float* abuf = t_pack_a.get(mc_max * kc_cap);
  // In place, B still needs one packed panel for a ragged right edge.
  float* bbuf = p.packed ? nullptr : t_pack_b.get((direct_b ? nr : nc_max) * kc_cap);

  for (int64_t jc = n0; jc < n1; jc += nc_max) {
    const int64_t nc = std::min(nc_max, n1 - jc);
    for (int64_t pc = 0; pc < p.K; pc += kc_max) {
      const int64_t kc = std::min(kc_max, p.K - pc);
      // Later depth blocks accumulate onto what the first one wrote.
      const float beta = pc == 0 ? p.beta : 1.0f;
      const float* bsrc = p.trans_b ? p.B + jc * p.ldb + pc : p.B + pc * p.ldb + jc;
      const float* bp = nullptr;
      if (p.packed) {
        bp = p.packed->block(pc, jc, kc);
      } else if (!direct_b) {
        uk.pack_b(p.trans_b, bsrc, p.ldb, kc, nc, bbuf);
        bp = bbuf;
      }
      for (int64_t ic = m0; ic < m1; ic += mc_max) {
        const int64_t mc = std::min(mc_max, m1 - ic);
        const float* asrc = p.trans_a ? p.A + pc * p.lda + ic : p.A + ic * p.lda + pc;
        uk.pack_a(p.trans_a, asrc, p.lda, mc, kc, abuf);
        for (int64_t jr = 0; jr < nc; jr += nr) {
          const int64_t n = std::min(nr, nc - jr);
          const float* b;
          int64_t ldb = nr;
          if (!direct_b) {
            b = bp + jr * kc;
          } else if (n == nr) {
            b = bsrc + jr;
            ldb = p.ldb;
          } else {
            uk.pack_b(false, bsrc + jr, p.ldb, kc, n, bbuf);
            b = bbuf;
          }
          for (int64_t ir = 0; ir < mc; ir += mr) {
            uk.kernel(kc, abuf + ir * kc, b, ldb, p.C + (ic + ir) * p.ldc + jc + jr, p.ldc,
                      std::min(mr, mc - ir), n, p.alpha, beta);
          }
        }
      }
    }
  }
}

// Splits C into tm x tn tiles, one per thread, trading padding waste against the packing
// each tile repeats (every tile packs its own rows of A and columns of B).
void run(const Problem& p, const MicroKernel& uk) {
  const int64_t fma = p.M * p.N * p.K;
  int64_t threads = fma < kParallelMinFma ? 1 : num_threads();
  threads = std::max<int64_t>(1, std::min(threads, fma / kFmaPerThread));
  const int64_t mr = uk.mr, nr = uk.nr;
  const int64_t m_blocks = (p.M + mr - 1) / mr, n_blocks = (p.N + nr - 1) / nr;

  int64_t best_tm = 1, best_tn = 1;
  double best_cost = -1.0;
  for (int64_t t = threads; t >= 1 && best_cost < 0.0; --t) {
    for (int64_t tm = 1; tm <= t; ++tm) {
      if (t % tm != 0) continue;
      const int64_t tn = t / tm;
      if (tm > m_blocks || tn > n_blocks) continue;
      const double rows = static_cast<double>((m_blocks + tm - 1) / tm * mr);
      const double cols = static_cast<double>((n_blocks + tn - 1) / tn * nr);
      // One packed element costs about as much as a vector of multiply-adds.
      const double pack = 16.0 * (rows + (p.packed ? 0.0 : cols));
      const double cost = rows * cols + pack;
      if (best_cost < 0.0 || cost < best_cost) {
        best_cost = cost;
        best_tm = tm;
        best_tn = tn;
      }
    }
  }

  const int64_t tm = best_tm, tn = best_tn;
  auto tile = [&](int64_t t) {
    const int64_t bi = t / tn, bj = t % tn;
    const int64_t m0 = std::min(p.M, m_blocks * bi / tm * mr);
    const int64_t m1 = std::min(p.M, m_blocks * (bi + 1) / tm * mr);
    const int64_t n0 = std::min(p.N, n_blocks * bj / tn * nr);
    const int64_t n1 = std::min(p.N, n_blocks * (bj + 1) / tn * nr);
    if (m0 < m1 && n0 < n1) run_tile(p, uk, m0, m1, n0, n1);
  };
  if (tm * tn == 1) {
    tile(0);
    return;
  }
  parallel_for(tm * tn, 1, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) tile(t);
  });
}

// The checks sgemm and its reference share: sizes, leading dimensions and pointers.
void check_args(const char* fn, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K,
                const float* A, int64_t lda, const float* B, int64_t ldb, const float* C,
                int64_t ldc) {
  check_dims(fn, M, N, K);
  check_ld(fn, "lda", lda, trans_a ? M : K, trans_a ? "M" : "K");
  check_ld(fn, "ldb", ldb, trans_b ? K : N, trans_b ? "K" : "N");
  check_ld(fn, "ldc", ldc, N, "N");
  check_ptr(fn, "A", A, M * K);
  check_ptr(fn, "B", B, K * N);
  check_ptr(fn, "C", C, M * N);
}

}  // namespace

void sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
           const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
           int64_t ldc) {
  // [M,K] x [K,N] -> [M,N]
  const char* fn = "sgemm";
  check_args(fn, trans_a, trans_b, M, N, K, A, lda, B, ldb, C, ldc);
  if (M == 0 || N == 0) return;
  if (K == 0 || alpha == 0.0f) {
    scale_c(M, N, beta, C, ldc);
    return;
  }
  const Problem p{trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, nullptr, beta, C, ldc};
  run(p, gemm::active_micro_kernel());
}

namespace {

std::unique_ptr<PackedB::Impl> packed_layout(const char* fn, int64_t K, int64_t N) {
  check_dims(fn, 0, N, K);
  const MicroKernel& uk = gemm::active_micro_kernel();
  auto impl = std::make_unique<PackedB::Impl>();
  impl->uk = &uk;
  impl->K = K;
  impl->N = N;
  impl->kc = uk.kc;
  impl->panels = (N + uk.nr - 1) / uk.nr;
  return impl;
}

void pack_into(const PackedB::Impl& impl, bool trans_b, const float* B, int64_t ldb) {
  // op(B)[K,N] -> kc-deep blocks of nr-wide panels in the active kernel's layout
  const MicroKernel& uk = *impl.uk;
  for (int64_t pc = 0; pc < impl.K; pc += impl.kc) {
    const int64_t kc = std::min(impl.kc, impl.K - pc);
    const float* src = trans_b ? B + pc : B + pc * ldb;
    uk.pack_b(trans_b, src, ldb, kc, impl.N, impl.data + pc * impl.panels * uk.nr);
  }
}

}  // namespace

int64_t PackedB::floats(int64_t K, int64_t N) {
  const int64_t nr = gemm::active_micro_kernel().nr;
  return std::max<int64_t>(1, K * ((N + nr - 1) / nr) * nr);
}

PackedB::PackedB(bool trans_b, int64_t K, int64_t N, const float* B, int64_t ldb) {
  const char* fn = "PackedB";
  auto impl = packed_layout(fn, K, N);
  check_ld(fn, "ldb", ldb, trans_b ? K : N, trans_b ? "K" : "N");
  check_ptr(fn, "B", B, K * N);
  impl->data = static_cast<float*>(std::aligned_alloc(64, round_up(floats(K, N) * 4, 64)));
  if (impl->data == nullptr) throw std::bad_alloc();
  pack_into(*impl, trans_b, B, ldb);
  impl_ = std::move(impl);
}

PackedB::PackedB(bool trans_b, int64_t K, int64_t N, const float* B, int64_t ldb,
                 float* storage) {
  const char* fn = "PackedB";
  auto impl = packed_layout(fn, K, N);
  check_ld(fn, "ldb", ldb, trans_b ? K : N, trans_b ? "K" : "N");
  check_ptr(fn, "B", B, K * N);
  check_ptr(fn, "storage", storage, floats(K, N));
  impl->data = storage;
  impl->owned = false;
  pack_into(*impl, trans_b, B, ldb);
  impl_ = std::move(impl);
}

PackedB::PackedB(int64_t K, int64_t N, const float* packed) {
  const char* fn = "PackedB";
  auto impl = packed_layout(fn, K, N);
  check_ptr(fn, "packed", packed, floats(K, N));
  // Never written through: views are only read by the kernels.
  impl->data = const_cast<float*>(packed);
  impl->owned = false;
  impl_ = std::move(impl);
}

PackedB::~PackedB() = default;

int64_t PackedB::K() const { return impl_->K; }
int64_t PackedB::N() const { return impl_->N; }
int64_t PackedB::panel_width() const { return impl_->uk->nr; }
int64_t packed_panel_width() { return gemm::active_micro_kernel().nr; }

void sgemm_packed(bool trans_a, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                  int64_t lda, const PackedB& B, float beta, float* C, int64_t ldc) {
  // [M,K] x packed [K,N] -> [M,N]
  const char* fn = "sgemm_packed";
  check_dims(fn, M, N, K);
  if (K != B.K()) invalid(fn, "K must equal the packed B's K = " + std::to_string(B.K()) +
                                  ", got " + std::to_string(K));
  if (N != B.N()) invalid(fn, "N must equal the packed B's N = " + std::to_string(B.N()) +
                                  ", got " + std::to_string(N));
  check_ld(fn, "lda", lda, trans_a ? M : K, trans_a ? "M" : "K");
  check_ld(fn, "ldc", ldc, N, "N");
  check_ptr(fn, "A", A, M * K);
  check_ptr(fn, "C", C, M * N);
  if (M == 0 || N == 0) return;
  if (K == 0 || alpha == 0.0f) {
    scale_c(M, N, beta, C, ldc);
    return;
  }
  const Problem p{trans_a, false, M, N, K, alpha, A, lda, nullptr, 0, &B.impl(), beta, C, ldc};
  run(p, *B.impl().uk);
}

void sgemm_reference(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                     const float* A, int64_t lda, const float* B, int64_t ldb, float beta,
                     float* C, int64_t ldc) {
  // [M,K] x [K,N] -> [M,N], double accumulation
  const char* fn = "sgemm_reference";
  check_args(fn, trans_a, trans_b, M, N, K, A, lda, B, ldb, C, ldc);
  for (int64_t i = 0; i < M; ++i) {
    for (int64_t j = 0; j < N; ++j) {
      double sum = 0.0;
      for (int64_t k = 0; k < K; ++k) {
        const double a = trans_a ? A[k * lda + i] : A[i * lda + k];
        const double b = trans_b ? B[j * ldb + k] : B[k * ldb + j];
        sum += a * b;
      }
      float& c = C[i * ldc + j];
      const double prior = beta == 0.0f ? 0.0 : static_cast<double>(beta) * c;
      c = static_cast<float>(static_cast<double>(alpha) * sum + prior);
    }
  }
}

}  // namespace loom

namespace loom {

void gemv(int64_t M, int64_t K, const float* R, int64_t ldr, int64_t nx, const float* x,
          int64_t ldx, float beta, float* y, int64_t ldy) {
  // nx x ([M, K] x [K]) -> [nx, M]
  if (M <= 0 || nx <= 0) return;
  gemm::active_micro_kernel().gemv(M, K, R, ldr, nx, x, ldx, beta, y, ldy);
}

void gemv_packed(const float* x, const PackedB& B, int64_t n0, int64_t n1, float beta,
                 float* y) {
  // [K] x packed [K, n0:n1] -> [n1 - n0]
  const char* fn = "gemv_packed";
  const int64_t nr = B.panel_width();
  if (n0 < 0 || n0 > n1 || n1 > B.N())
    invalid(fn, "columns [n0, n1) must lie in [0, N=" + std::to_string(B.N()) + "], got [" +
                    std::to_string(n0) + ", " + std::to_string(n1) + ")");
  if (n0 % nr != 0)
    invalid(fn, "n0 must be a multiple of the panel width " + std::to_string(nr) + ", got " +
                    std::to_string(n0));
  if (beta != 0.0f && beta != 1.0f) invalid(fn, "beta must be 0 or 1, got " + std::to_string(beta));
  check_ptr(fn, "x", x, B.K());
  check_ptr(fn, "y", y, n1 - n0);
  const PackedB::Impl& p = B.impl();
  p.uk->gemv_packed(x, p.K, p.kc, p.data, p.panels, p.N, n0, n1, beta, y);
}

void gemv_reference(int64_t M, int64_t K, const float* R, int64_t ldr, int64_t nx,
                    const float* x, int64_t ldx, float beta, float* y, int64_t ldy) {
  // nx x ([M, K] x [K]) -> [nx, M], double accumulation
  for (int64_t b = 0; b < nx; ++b) {
    for (int64_t i = 0; i < M; ++i) {
      double sum = 0.0;
      for (int64_t k = 0; k < K; ++k) sum += static_cast<double>(R[i * ldr + k]) * x[b * ldx + k];
      float& out = y[b * ldy + i];
      out = static_cast<float>(sum + (beta == 0.0f ? 0.0 : static_cast<double>(out)));
    }
  }
}

}  // namespace loom
