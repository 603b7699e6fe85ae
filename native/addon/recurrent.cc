#include "../kernels/sequence.h"

#include <sys/mman.h>

#include <cstdint>
#include <functional>
#include <string>

#include "args.h"
#include "bindings.h"
#include "worker.h"

namespace loom::addon {
namespace {

// desc: { cell, direction, T, B, I, H, activations[6], alphas[6], betas[6], clip,
//         inputForget, linearBeforeReset, checkpointEvery }; activations per direction f,g,h.
RecurrentDesc parse_desc(const Napi::Object& o) {
  Napi::Env env = o.Env();
  RecurrentDesc d{};
  const int64_t cell = int_field(o, "cell"), direction = int_field(o, "direction");
  if (cell < 0 || cell > 2) throw loom_error(env, "EINVAL", "desc.cell must be 0, 1 or 2");
  if (direction < 0 || direction > 2) {
    throw loom_error(env, "EINVAL", "desc.direction must be 0, 1 or 2");
  }
  d.cell = static_cast<Cell>(cell);
  d.direction = static_cast<Direction>(direction);
  d.T = int_field(o, "T");
  d.B = int_field(o, "B");
  d.I = int_field(o, "I");
  d.H = int_field(o, "H");
  if (d.T < 1 || d.B < 1 || d.I < 1 || d.H < 1) {
    throw loom_error(env, "EINVAL", "desc.T, B, I, H must be >= 1");
  }
  Napi::Value acts = o.Get("activations"), alphas = o.Get("alphas"), betas = o.Get("betas");
  if (!acts.IsArray() || !alphas.IsArray() || !betas.IsArray()) {
    throw loom_error(env, "EINVAL", "desc.activations, alphas and betas must be arrays of 6");
  }
  auto a = acts.As<Napi::Array>(), al = alphas.As<Napi::Array>(), be = betas.As<Napi::Array>();
  if (a.Length() != 6 || al.Length() != 6 || be.Length() != 6) {
    throw loom_error(env, "EINVAL", "desc.activations, alphas and betas must be arrays of 6");
  }
  for (uint32_t i = 0; i < 6; ++i) {
    const int32_t kind = a.Get(i).ToNumber().Int32Value();
    if (kind < 0 || kind > static_cast<int32_t>(Act::Softplus)) {
      throw loom_error(env, "EINVAL", "desc.activations[" + std::to_string(i) + "] is unknown");
    }
    d.act[i / 3][i % 3] = Activation{static_cast<Act>(kind), al.Get(i).ToNumber().FloatValue(),
                                     be.Get(i).ToNumber().FloatValue()};
  }
  d.clip = static_cast<float>(number_field(o, "clip"));
  d.input_forget = bool_field(o, "inputForget");
  d.linear_before_reset = bool_field(o, "linearBeforeReset");
  d.checkpoint_every = int_field(o, "checkpointEvery");
  if (d.checkpoint_every < 0) throw loom_error(env, "EINVAL", "desc.checkpointEvery must be >= 0");
  return d;
}

// Outputs arrive as fresh typed arrays, which the allocator maps untouched for sizes like a
// training reserve (tens of MB): the kernels' first writes then fault every 4 KiB page,
// ~10% of a training step. Transparent huge pages on the whole 2 MiB pages inside the
// buffer take that to one fault per 2 MiB. A hint only: memory and contents are unchanged.
void advise_huge_pages(const float* p, size_t floats) {
#ifdef MADV_HUGEPAGE
  constexpr uintptr_t kHuge = uintptr_t{2} << 20;
  if (!p || floats * sizeof(float) < 2 * kHuge) return;
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(p) + kHuge - 1) & ~(kHuge - 1);
  const uintptr_t end = (reinterpret_cast<uintptr_t>(p + floats)) & ~(kHuge - 1);
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#endif
}

struct Sizes {
  size_t x, w, r, bias, p, lens, state, y, reserve;
};

Sizes sizes_of(const RecurrentDesc& d) {
  const size_t D = num_directions(d), G = gate_count(d.cell);
  const size_t T = d.T, B = d.B, I = d.I, H = d.H;
  return {T * B * I, D * G * H * I, D * G * H * H, D * 2 * G * H, D * 3 * H, B, D * B * H,
          T * D * B * H, reserve_size(d)};
}

// The op's inputs, which forward and backward both read.
template <typename Args>
void read_inputs(Napi::Object b, const Sizes& s, bool lstm, Args& a) {
  a.X = array_field<float>(b, "X", s.x, false);
  a.W = array_field<float>(b, "W", s.w, false);
  a.R = array_field<float>(b, "R", s.r, false);
  a.Bias = array_field<float>(b, "B", s.bias, true);
  a.P = lstm ? array_field<float>(b, "P", s.p, true) : nullptr;
  a.seq_lens = array_field<int32_t>(b, "sequenceLens", s.lens, true);
  a.h0 = array_field<float>(b, "initialH", s.state, true);
  a.c0 = lstm ? array_field<float>(b, "initialC", s.state, true) : nullptr;
}

std::function<void()> forward_call(const Napi::CallbackInfo& info) {
  const RecurrentDesc d = parse_desc(object_arg(info, 0, "desc"));
  Napi::Object b = object_arg(info, 1, "buffers");
  const Sizes s = sizes_of(d);
  const bool lstm = d.cell == Cell::LSTM;
  RecurrentForwardArgs a{};
  read_inputs(b, s, lstm, a);
  a.Y = array_field<float>(b, "Y", s.y, true);
  a.Y_h = array_field<float>(b, "Yh", s.state, true);
  a.Y_c = lstm ? array_field<float>(b, "Yc", s.state, true) : nullptr;
  a.reserve = array_field<float>(b, "reserve", s.reserve, true);
  const Napi::Value packed = b.Get("packed");
  if (!packed.IsNull() && !packed.IsUndefined()) {
    a.packed = array_field<float>(b, "packed", 0, false);
    a.packed_floats = packed.As<Napi::TypedArray>().ElementLength();
  }
  advise_huge_pages(a.Y, s.y);
  advise_huge_pages(a.reserve, s.reserve);
  return [d, a] { recurrent_forward(d, a); };
}

std::function<void()> backward_call(const Napi::CallbackInfo& info) {
  const RecurrentDesc d = parse_desc(object_arg(info, 0, "desc"));
  Napi::Object b = object_arg(info, 1, "buffers");
  const Sizes s = sizes_of(d);
  const bool lstm = d.cell == Cell::LSTM;
  RecurrentBackwardArgs a{};
  read_inputs(b, s, lstm, a);
  a.reserve = array_field<float>(b, "reserve", s.reserve, false);
  a.dY = array_field<float>(b, "dY", s.y, true);
  a.dY_h = array_field<float>(b, "dYh", s.state, true);
  a.dY_c = lstm ? array_field<float>(b, "dYc", s.state, true) : nullptr;
  a.dX = array_field<float>(b, "dX", s.x, true);
  a.dW = array_field<float>(b, "dW", s.w, true);
  a.dR = array_field<float>(b, "dR", s.r, true);
  a.dBias = array_field<float>(b, "dB", s.bias, true);
  a.dP = lstm ? array_field<float>(b, "dP", s.p, true) : nullptr;
  a.dh0 = array_field<float>(b, "dInitialH", s.state, true);
  a.dc0 = lstm ? array_field<float>(b, "dInitialC", s.state, true) : nullptr;
  advise_huge_pages(a.dX, s.x);
  return [d, a] { recurrent_backward(d, a); };
}

Napi::Value reserve_floats(const Napi::CallbackInfo& info) {
  const RecurrentDesc d = parse_desc(object_arg(info, 0, "desc"));
  return Napi::Number::New(info.Env(),
                           static_cast<double>(guarded(info.Env(), [&] { return reserve_size(d); })));
}

Napi::Value pack_key(const Napi::CallbackInfo& info) {
  const RecurrentDesc d = parse_desc(object_arg(info, 0, "desc"));
  return Napi::String::New(info.Env(), guarded(info.Env(), [&] { return recurrent_pack_key(d); }));
}

Napi::Value pack_floats(const Napi::CallbackInfo& info) {
  const RecurrentDesc d = parse_desc(object_arg(info, 0, "desc"));
  return Napi::Number::New(info.Env(), static_cast<double>(guarded(info.Env(), [&] {
                             return recurrent_pack_size(d);
                           })));
}

// recurrentPack(desc, { W, R, packed }): packs W and R into `packed` (recurrentPackSize
// floats) for inference calls that pass it as buffers.packed.
Napi::Value pack_sync(const Napi::CallbackInfo& info) {
  const RecurrentDesc d = parse_desc(object_arg(info, 0, "desc"));
  Napi::Object b = object_arg(info, 1, "buffers");
  const Sizes s = guarded(info.Env(), [&] { return sizes_of(d); });
  const size_t floats = guarded(info.Env(), [&] { return recurrent_pack_size(d); });
  const float* W = array_field<float>(b, "W", s.w, false);
  const float* R = array_field<float>(b, "R", s.r, false);
  float* packed = array_field<float>(b, "packed", floats, false);
  guarded(info.Env(), [&] { recurrent_pack(d, W, R, packed, floats); });
  return info.Env().Undefined();
}

Napi::Value forward_sync(const Napi::CallbackInfo& info) {
  auto call = guarded(info.Env(), [&] { return forward_call(info); });
  guarded(info.Env(), call);
  return info.Env().Undefined();
}

Napi::Value forward_async(const Napi::CallbackInfo& info) {
  auto call = guarded(info.Env(), [&] { return forward_call(info); });
  return run_async(info.Env(), info[1].As<Napi::Object>(), call);
}

Napi::Value backward_sync(const Napi::CallbackInfo& info) {
  auto call = guarded(info.Env(), [&] { return backward_call(info); });
  guarded(info.Env(), call);
  return info.Env().Undefined();
}

Napi::Value backward_async(const Napi::CallbackInfo& info) {
  auto call = guarded(info.Env(), [&] { return backward_call(info); });
  return run_async(info.Env(), info[1].As<Napi::Object>(), call);
}

}  // namespace

void register_recurrent(Napi::Env env, Napi::Object exports) {
  exports.Set("recurrentReserveSize", Napi::Function::New(env, reserve_floats, "recurrentReserveSize"));
  exports.Set("recurrentPackKey", Napi::Function::New(env, pack_key, "recurrentPackKey"));
  exports.Set("recurrentPackSize", Napi::Function::New(env, pack_floats, "recurrentPackSize"));
  exports.Set("recurrentPack", Napi::Function::New(env, pack_sync, "recurrentPack"));
  exports.Set("recurrentForward", Napi::Function::New(env, forward_sync, "recurrentForward"));
  exports.Set("recurrentForwardAsync", Napi::Function::New(env, forward_async, "recurrentForwardAsync"));
  exports.Set("recurrentBackward", Napi::Function::New(env, backward_sync, "recurrentBackward"));
  exports.Set("recurrentBackwardAsync", Napi::Function::New(env, backward_async, "recurrentBackwardAsync"));
}

}  // namespace loom::addon
