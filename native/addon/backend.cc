#include "../cpu/isa.h"
#include "../cpu/threads.h"
#include "../kernels/peak.h"
#include "args.h"
#include "bindings.h"

namespace loom::addon {
namespace {

Napi::Value backend(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&] {
    Napi::Object out = Napi::Object::New(env);
    out.Set("isa", isa_name(active_isa()));
    out.Set("cpuIsa", isa_name(cpu_isa()));
    out.Set("threads", num_threads());
    out.Set("physicalCores", physical_cores());
    out.Set("openmp", openmp_enabled());
    out.Set("cuda", false);
    return out;
  });
}

Napi::Value set_threads(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsNumber()) {
    throw loom_error(info.Env(), "EINVAL", "n must be a number");
  }
  set_num_threads(info[0].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

Napi::Value fma_peak(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsNumber() || info[0].As<Napi::Number>().Int64Value() < 1) {
    throw loom_error(info.Env(), "EINVAL", "iterations must be a positive number");
  }
  const int64_t iterations = info[0].As<Napi::Number>().Int64Value();
  return Napi::Number::New(info.Env(), guarded(info.Env(), [&] { return measure_fma_peak(iterations); }));
}

}  // namespace

void register_backend(Napi::Env env, Napi::Object exports) {
  exports.Set("backend", Napi::Function::New(env, backend, "backend"));
  exports.Set("setNumThreads", Napi::Function::New(env, set_threads, "setNumThreads"));
  exports.Set("fmaPeak", Napi::Function::New(env, fma_peak, "fmaPeak"));
}

}  // namespace loom::addon
