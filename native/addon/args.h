// Typed-array views and argument checks shared by the bindings. The TS layer validates
// first with user-facing messages; these checks only keep a wrong call from reading or
// writing outside a buffer.
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>

#include "../kernels/error.h"

namespace loom::addon {

inline Napi::Error loom_error(Napi::Env env, const std::string& code, const std::string& message) {
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  return error;
}

// Runs a kernel call, turning loom::Error and other C++ exceptions into JS errors.
template <typename Fn>
auto guarded(Napi::Env env, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const loom::Error& e) {
    throw loom_error(env, e.code(), e.what());
  } catch (const std::bad_alloc&) {
    throw loom_error(env, "ENOMEM", "out of memory");
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw loom_error(env, "EINTERNAL", e.what());
  }
}

inline Napi::Object object_arg(const Napi::CallbackInfo& info, size_t index, const char* name) {
  if (info.Length() <= index || !info[index].IsObject()) {
    throw loom_error(info.Env(), "EINVAL", std::string(name) + " must be an object");
  }
  return info[index].As<Napi::Object>();
}

inline int64_t int_field(const Napi::Object& o, const char* name) {
  Napi::Value v = o.Get(name);
  if (!v.IsNumber()) throw loom_error(o.Env(), "EINVAL", std::string(name) + " must be a number");
  return v.As<Napi::Number>().Int64Value();
}

inline double number_field(const Napi::Object& o, const char* name) {
  Napi::Value v = o.Get(name);
  if (!v.IsNumber()) throw loom_error(o.Env(), "EINVAL", std::string(name) + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

inline bool bool_field(const Napi::Object& o, const char* name) {
  Napi::Value v = o.Get(name);
  return v.IsBoolean() && v.As<Napi::Boolean>().Value();
}

// A typed array field of at least `need` elements; null/undefined gives nullptr when
// `optional`. T is float or int32_t.
template <typename T>
T* array_field(const Napi::Object& o, const char* name, size_t need, bool optional) {
  Napi::Value v = o.Get(name);
  if (v.IsNull() || v.IsUndefined()) {
    if (optional) return nullptr;
    throw loom_error(o.Env(), "EINVAL", std::string(name) + " is required");
  }
  constexpr napi_typedarray_type want =
      std::is_same_v<T, float> ? napi_float32_array : napi_int32_array;
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != want) {
    throw loom_error(o.Env(), "EINVAL",
                     std::string(name) + " must be a " +
                         (want == napi_float32_array ? "Float32Array" : "Int32Array"));
  }
  auto array = v.As<Napi::TypedArrayOf<T>>();
  if (array.ElementLength() < need) {
    throw loom_error(o.Env(), "EINVAL",
                     std::string(name) + " needs " + std::to_string(need) + " elements, got " +
                         std::to_string(array.ElementLength()));
  }
  return array.Data();
}

}  // namespace loom::addon
