#include "../kernels/gemm/gemm.h"

#include <algorithm>
#include <functional>

#include "args.h"
#include "bindings.h"
#include "worker.h"

namespace loom::addon {
namespace {

// Elements a row-major matrix of `rows` x `cols` with leading dimension ld spans.
size_t span(int64_t rows, int64_t cols, int64_t ld) {
  return rows == 0 || cols == 0 ? 0 : static_cast<size_t>((rows - 1) * ld + cols);
}

// args: { transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, reference }
std::function<void()> gemm_call(const Napi::CallbackInfo& info) {
  Napi::Object a = object_arg(info, 0, "args");
  const bool ta = bool_field(a, "transA"), tb = bool_field(a, "transB");
  const int64_t M = int_field(a, "M"), N = int_field(a, "N"), K = int_field(a, "K");
  const int64_t lda = int_field(a, "lda"), ldb = int_field(a, "ldb"), ldc = int_field(a, "ldc");
  if (M < 0 || N < 0 || K < 0) throw loom_error(info.Env(), "EINVAL", "M, N, K must be >= 0");
  if (lda < (ta ? M : K) || ldb < (tb ? K : N) || ldc < N || lda < 1 || ldb < 1 || ldc < 1) {
    throw loom_error(info.Env(), "EINVAL", "a leading dimension is smaller than its matrix");
  }
  const float alpha = static_cast<float>(number_field(a, "alpha"));
  const float beta = static_cast<float>(number_field(a, "beta"));
  const float* A = array_field<float>(a, "A", ta ? span(K, M, lda) : span(M, K, lda), false);
  const float* B = array_field<float>(a, "B", tb ? span(N, K, ldb) : span(K, N, ldb), false);
  float* C = array_field<float>(a, "C", span(M, N, ldc), false);
  const bool reference = bool_field(a, "reference");
  return [=] {
    (reference ? sgemm_reference : sgemm)(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  };
}

// args: { M, K, R, ldr, nx, x, ldx, beta, y, ldy, reference }: y[b] = R x[b] (+ y[b] when
// beta is 1) for b < nx.
Napi::Value gemv_sync(const Napi::CallbackInfo& info) {
  auto call = guarded(info.Env(), [&]() -> std::function<void()> {
    Napi::Object a = object_arg(info, 0, "args");
    const int64_t M = int_field(a, "M"), K = int_field(a, "K"), ldr = int_field(a, "ldr");
    const int64_t nx = int_field(a, "nx"), ldx = int_field(a, "ldx"), ldy = int_field(a, "ldy");
    if (M < 0 || K < 0 || nx < 0) throw loom_error(info.Env(), "EINVAL", "M, K, nx must be >= 0");
    if (ldr < std::max<int64_t>(1, K) || ldx < std::max<int64_t>(1, K) ||
        ldy < std::max<int64_t>(1, M)) {
      throw loom_error(info.Env(), "EINVAL", "a leading dimension is smaller than its matrix");
    }
    const float beta = static_cast<float>(number_field(a, "beta"));
    if (beta != 0.0f && beta != 1.0f) throw loom_error(info.Env(), "EINVAL", "beta must be 0 or 1");
    const float* R = array_field<float>(a, "R", span(M, K, ldr), false);
    const float* x = array_field<float>(a, "x", span(nx, K, ldx), false);
    float* y = array_field<float>(a, "y", span(nx, M, ldy), false);
    const bool reference = bool_field(a, "reference");
    return [=] { (reference ? gemv_reference : gemv)(M, K, R, ldr, nx, x, ldx, beta, y, ldy); };
  });
  guarded(info.Env(), call);
  return info.Env().Undefined();
}

// args: { N, K, R, ldr, x, n0, n1, beta, y, reference }: y = R[n0:n1, :] x (+ y when beta
// is 1) for R [N, K] with row stride ldr, through R^T packed as the recurrent steps pack it
// (gemv_packed), or through the float64 reference.
Napi::Value gemv_packed_sync(const Napi::CallbackInfo& info) {
  auto call = guarded(info.Env(), [&]() -> std::function<void()> {
    Napi::Object a = object_arg(info, 0, "args");
    const int64_t N = int_field(a, "N"), K = int_field(a, "K"), ldr = int_field(a, "ldr");
    const int64_t n0 = int_field(a, "n0"), n1 = int_field(a, "n1");
    if (N < 0 || K < 0) throw loom_error(info.Env(), "EINVAL", "N and K must be >= 0");
    if (n0 < 0 || n0 > n1 || n1 > N)
      throw loom_error(info.Env(), "EINVAL", "n0, n1 must satisfy 0 <= n0 <= n1 <= N");
    if (ldr < std::max<int64_t>(1, K))
      throw loom_error(info.Env(), "EINVAL", "ldr must be >= max(1, K)");
    const float beta = static_cast<float>(number_field(a, "beta"));
    if (beta != 0.0f && beta != 1.0f) throw loom_error(info.Env(), "EINVAL", "beta must be 0 or 1");
    const float* R = array_field<float>(a, "R", span(N, K, ldr), false);
    const float* x = array_field<float>(a, "x", static_cast<size_t>(K), false);
    float* y = array_field<float>(a, "y", static_cast<size_t>(n1 - n0), false);
    if (bool_field(a, "reference"))
      return [=] { gemv_reference(n1 - n0, K, R + n0 * ldr, ldr, 1, x, K, beta, y, n1 - n0); };
    return [=] {
      const PackedB rt(true, K, N, R, ldr);
      gemv_packed(x, rt, n0, n1, beta, y);
    };
  });
  guarded(info.Env(), call);
  return info.Env().Undefined();
}

Napi::Value gemm_sync(const Napi::CallbackInfo& info) {
  auto call = guarded(info.Env(), [&] { return gemm_call(info); });
  guarded(info.Env(), call);
  return info.Env().Undefined();
}

Napi::Value gemm_async(const Napi::CallbackInfo& info) {
  auto call = guarded(info.Env(), [&] { return gemm_call(info); });
  return run_async(info.Env(), info[0].As<Napi::Object>(), call);
}

}  // namespace

void register_gemm(Napi::Env env, Napi::Object exports) {
  exports.Set("sgemm", Napi::Function::New(env, gemm_sync, "sgemm"));
  exports.Set("gemv", Napi::Function::New(env, gemv_sync, "gemv"));
  exports.Set("gemvPacked", Napi::Function::New(env, gemv_packed_sync, "gemvPacked"));
  exports.Set("sgemmAsync", Napi::Function::New(env, gemm_async, "sgemmAsync"));
}

}  // namespace loom::addon
