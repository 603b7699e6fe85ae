// Bindings of the element-wise and reduction kernels: each takes one args object of sizes
// and typed arrays and runs synchronously (these ops are small next to a recurrent layer).
#include "../kernels/elementwise.h"

#include <cstdint>
#include <limits>
#include <string>

#include "../kernels/reductions.h"
#include "args.h"
#include "bindings.h"

namespace loom::addon {
namespace {

int64_t dim_field(const Napi::Object& o, const char* name) {
  const int64_t v = int_field(o, name);
  if (v < 0) throw loom_error(o.Env(), "EINVAL", std::string(name) + " must be >= 0");
  return v;
}

// a * b elements, refusing products that would wrap and so pass a short buffer's check.
size_t count(const Napi::Object& o, int64_t a, int64_t b) {
  if (a != 0 && b > std::numeric_limits<int32_t>::max() * int64_t{1024} / a) {
    throw loom_error(o.Env(), "EINVAL", "sizes are too large");
  }
  return static_cast<size_t>(a * b);
}

int enum_field(const Napi::Object& o, const char* name, int limit) {
  const int64_t v = int_field(o, name);
  if (v < 0 || v >= limit) {
    throw loom_error(o.Env(), "EINVAL",
                     std::string(name) + " must be in [0, " + std::to_string(limit) + ")");
  }
  return static_cast<int>(v);
}

const float* in(const Napi::Object& o, const char* name, size_t need) {
  return array_field<float>(o, name, need, false);
}
float* out(const Napi::Object& o, const char* name, size_t need) {
  return array_field<float>(o, name, need, false);
}
float* optional(const Napi::Object& o, const char* name, size_t need) {
  return array_field<float>(o, name, need, true);
}

// { kind, alpha, n, x, y }
void activation_forward(const Napi::Object& o) {
  const auto kind = static_cast<Pointwise>(enum_field(o, "kind", kPointwiseCount));
  const int64_t n = dim_field(o, "n");
  pointwise_forward(kind, static_cast<float>(number_field(o, "alpha")), n, in(o, "x", n),
                    out(o, "y", n));
}

// { kind, alpha, n, saved, dy, dx }; saved is x or y (see Pointwise), unused by linear.
void activation_backward(const Napi::Object& o) {
  const auto kind = static_cast<Pointwise>(enum_field(o, "kind", kPointwiseCount));
  const int64_t n = dim_field(o, "n");
  const float* saved = array_field<float>(o, "saved", n, kind == Pointwise::Linear);
  pointwise_backward(kind, static_cast<float>(number_field(o, "alpha")), n, saved, in(o, "dy", n),
                     out(o, "dx", n));
}

// { op, n, a, b, y }
void binary_fwd(const Napi::Object& o) {
  const auto op = static_cast<BinaryOp>(enum_field(o, "op", 3));
  const int64_t n = dim_field(o, "n");
  binary_forward(op, n, in(o, "a", n), in(o, "b", n), out(o, "y", n));
}

// { op, n, a, b, dy, da?, db? }
void binary_bwd(const Napi::Object& o) {
  const auto op = static_cast<BinaryOp>(enum_field(o, "op", 3));
  const int64_t n = dim_field(o, "n");
  binary_backward(op, n, in(o, "a", n), in(o, "b", n), in(o, "dy", n), optional(o, "da", n),
                  optional(o, "db", n));
}

// op 0 add or 2 mul (sub is refused by the kernel). { op, N, C, x, b, y }
void bias_fwd(const Napi::Object& o) {
  const auto op = static_cast<BinaryOp>(enum_field(o, "op", 3));
  const int64_t N = dim_field(o, "N"), C = dim_field(o, "C");
  const size_t nc = count(o, N, C);
  bias_forward(op, N, C, in(o, "x", nc), in(o, "b", C), out(o, "y", nc));
}

// { op, N, C, x, b, dy, dx?, db? }
void bias_bwd(const Napi::Object& o) {
  const auto op = static_cast<BinaryOp>(enum_field(o, "op", 3));
  const int64_t N = dim_field(o, "N"), C = dim_field(o, "C");
  const size_t nc = count(o, N, C);
  bias_backward(op, N, C, in(o, "x", nc), in(o, "b", C), in(o, "dy", nc), optional(o, "dx", nc),
                optional(o, "db", C));
}

// { log, rows, cols, x, y }
void softmax_fwd(const Napi::Object& o) {
  const int64_t rows = dim_field(o, "rows"), cols = dim_field(o, "cols");
  const size_t n = count(o, rows, cols);
  softmax_forward(bool_field(o, "log"), rows, cols, in(o, "x", n), out(o, "y", n));
}

// { log, rows, cols, y, dy, dx }
void softmax_bwd(const Napi::Object& o) {
  const int64_t rows = dim_field(o, "rows"), cols = dim_field(o, "cols");
  const size_t n = count(o, rows, cols);
  softmax_backward(bool_field(o, "log"), rows, cols, in(o, "y", n), in(o, "dy", n),
                   out(o, "dx", n));
}

// { N, C, logits, labels? (Int32Array [N]) | targets? [N, C], weights? [N], ignoreIndex? }
CrossEntropyArgs cross_entropy_args(const Napi::Object& o) {
  CrossEntropyArgs a;
  a.N = dim_field(o, "N");
  a.C = dim_field(o, "C");
  const size_t nc = count(o, a.N, a.C);
  a.logits = in(o, "logits", nc);
  a.labels = array_field<int32_t>(o, "labels", a.N, true);
  a.targets = optional(o, "targets", nc);
  if ((a.labels == nullptr) == (a.targets == nullptr)) {
    throw loom_error(o.Env(), "EINVAL", "exactly one of labels and targets is required");
  }
  a.weights = optional(o, "weights", a.N);
  if (o.Get("ignoreIndex").IsNumber()) {
    const int64_t ignore = int_field(o, "ignoreIndex");
    if (ignore < std::numeric_limits<int32_t>::min() ||
        ignore > std::numeric_limits<int32_t>::max()) {
      throw loom_error(o.Env(), "EINVAL", "ignoreIndex must be an int32");
    }
    a.has_ignore = true;
    a.ignore_index = static_cast<int32_t>(ignore);
  }
  return a;
}

// cross_entropy_args + { loss [N] }
void cross_entropy_fwd(const Napi::Object& o) {
  const CrossEntropyArgs a = cross_entropy_args(o);
  cross_entropy_forward(a, out(o, "loss", a.N));
}

// cross_entropy_args + { dLoss [N], dLogits [N, C] }
void cross_entropy_bwd(const Napi::Object& o) {
  const CrossEntropyArgs a = cross_entropy_args(o);
  cross_entropy_backward(a, in(o, "dLoss", a.N), out(o, "dLogits", count(o, a.N, a.C)));
}

// { N, C, logits, targets, weights?, loss }
void bce_fwd(const Napi::Object& o) {
  const int64_t N = dim_field(o, "N"), C = dim_field(o, "C");
  const size_t nc = count(o, N, C);
  binary_cross_entropy_forward(N, C, in(o, "logits", nc), in(o, "targets", nc),
                               optional(o, "weights", N), out(o, "loss", nc));
}

// { N, C, logits, targets, weights?, dLoss, dLogits }
void bce_bwd(const Napi::Object& o) {
  const int64_t N = dim_field(o, "N"), C = dim_field(o, "C");
  const size_t nc = count(o, N, C);
  binary_cross_entropy_backward(N, C, in(o, "logits", nc), in(o, "targets", nc),
                                optional(o, "weights", N), in(o, "dLoss", nc),
                                out(o, "dLogits", nc));
}

// { V, E, N, table, indices, out }
void embedding_fwd(const Napi::Object& o) {
  const int64_t V = dim_field(o, "V"), E = dim_field(o, "E"), N = dim_field(o, "N");
  embedding_forward(V, E, N, in(o, "table", count(o, V, E)),
                    array_field<int32_t>(o, "indices", N, false), out(o, "out", count(o, N, E)));
}

// { V, E, N, indices, dOut, dTable }
void embedding_bwd(const Napi::Object& o) {
  const int64_t V = dim_field(o, "V"), E = dim_field(o, "E"), N = dim_field(o, "N");
  embedding_backward(V, E, N, array_field<int32_t>(o, "indices", N, false),
                     in(o, "dOut", count(o, N, E)), out(o, "dTable", count(o, V, E)));
}

// { N, C, epsilon, x, gamma?, beta?, y, mean, rstd }
void layer_norm_fwd(const Napi::Object& o) {
  const int64_t N = dim_field(o, "N"), C = dim_field(o, "C");
  const size_t nc = count(o, N, C);
  layer_norm_forward(N, C, static_cast<float>(number_field(o, "epsilon")), in(o, "x", nc),
                     optional(o, "gamma", C), optional(o, "beta", C), out(o, "y", nc),
                     out(o, "mean", N), out(o, "rstd", N));
}

// { N, C, x, gamma?, mean, rstd, dy, dx?, dGamma?, dBeta? }
void layer_norm_bwd(const Napi::Object& o) {
  const int64_t N = dim_field(o, "N"), C = dim_field(o, "C");
  const size_t nc = count(o, N, C);
  layer_norm_backward(N, C, in(o, "x", nc), optional(o, "gamma", C), in(o, "mean", N),
                      in(o, "rstd", N), in(o, "dy", nc), optional(o, "dx", nc),
                      optional(o, "dGamma", C), optional(o, "dBeta", C));
}

// { n, rate, seed, x, y, mask }; seed a non-negative integer below 2^53 (a JS number).
void dropout_fwd(const Napi::Object& o) {
  const int64_t n = dim_field(o, "n");
  const int64_t seed = int_field(o, "seed");
  if (seed < 0) throw loom_error(o.Env(), "EINVAL", "seed must be >= 0");
  dropout_forward(n, static_cast<float>(number_field(o, "rate")), static_cast<uint64_t>(seed),
                  in(o, "x", n), out(o, "y", n), out(o, "mask", n));
}

// { n, mask, dy, dx }
void dropout_bwd(const Napi::Object& o) {
  const int64_t n = dim_field(o, "n");
  dropout_backward(n, in(o, "mask", n), in(o, "dy", n), out(o, "dx", n));
}

size_t reduced_size(ReduceAxis axis, int64_t N, int64_t C) {
  return axis == ReduceAxis::All ? 1 : axis == ReduceAxis::Last ? N : C;
}

// { axis (0 all, 1 last, 2 first), mean, N, C, x, y }
void reduce_fwd(const Napi::Object& o) {
  const auto axis = static_cast<ReduceAxis>(enum_field(o, "axis", 3));
  const int64_t N = dim_field(o, "N"), C = dim_field(o, "C");
  reduce_forward(axis, bool_field(o, "mean"), N, C, in(o, "x", count(o, N, C)),
                 out(o, "y", reduced_size(axis, N, C)));
}

// { axis, mean, N, C, dy, dx }
void reduce_bwd(const Napi::Object& o) {
  const auto axis = static_cast<ReduceAxis>(enum_field(o, "axis", 3));
  const int64_t N = dim_field(o, "N"), C = dim_field(o, "C");
  reduce_backward(axis, bool_field(o, "mean"), N, C, in(o, "dy", reduced_size(axis, N, C)),
                  out(o, "dx", count(o, N, C)));
}

template <void (*Fn)(const Napi::Object&)>
Napi::Value sync(const Napi::CallbackInfo& info) {
  guarded(info.Env(), [&] { Fn(object_arg(info, 0, "args")); });
  return info.Env().Undefined();
}

}  // namespace

void register_elementwise(Napi::Env env, Napi::Object exports) {
  const auto add = [&](const char* name, Napi::Value (*fn)(const Napi::CallbackInfo&)) {
    exports.Set(name, Napi::Function::New(env, fn, name));
  };
  add("activationForward", sync<activation_forward>);
  add("activationBackward", sync<activation_backward>);
  add("binaryForward", sync<binary_fwd>);
  add("binaryBackward", sync<binary_bwd>);
  add("biasForward", sync<bias_fwd>);
  add("biasBackward", sync<bias_bwd>);
  add("softmaxForward", sync<softmax_fwd>);
  add("softmaxBackward", sync<softmax_bwd>);
  add("crossEntropyForward", sync<cross_entropy_fwd>);
  add("crossEntropyBackward", sync<cross_entropy_bwd>);
  add("binaryCrossEntropyForward", sync<bce_fwd>);
  add("binaryCrossEntropyBackward", sync<bce_bwd>);
  add("embeddingForward", sync<embedding_fwd>);
  add("embeddingBackward", sync<embedding_bwd>);
  add("layerNormForward", sync<layer_norm_fwd>);
  add("layerNormBackward", sync<layer_norm_bwd>);
  add("dropoutForward", sync<dropout_fwd>);
  add("dropoutBackward", sync<dropout_bwd>);
  add("reduceForward", sync<reduce_fwd>);
  add("reduceBackward", sync<reduce_bwd>);
}

}  // namespace loom::addon
