// Each binding file adds its functions to the module's exports.
#pragma once
#include <napi.h>

namespace loom::addon {

void register_backend(Napi::Env env, Napi::Object exports);
void register_elementwise(Napi::Env env, Napi::Object exports);
void register_gemm(Napi::Env env, Napi::Object exports);
void register_recurrent(Napi::Env env, Napi::Object exports);

}  // namespace loom::addon
