// ONNX recurrent activations, forward and derivative, for the gate kernels. Compiled once
// per ISA (through gates_impl.h, inside that ISA's namespace): plain branch-free float code
// with bit tricks through memcpy, so GCC vectorizes the loops over arrays at the ISA the
// translation unit is built for. exp/tanh/log follow Cephes (about 1-2 ulp).
#pragma once
#ifndef LOOM_GATES_NS
#error "activations.h is compiled per ISA: include it through gates_impl.h"
#endif
#include <cstdint>
#include <cstring>

#include "gates.h"

namespace loom {
namespace cells {
namespace LOOM_GATES_NS {
namespace {

enum ActKind : int {
  kRelu = 0, kTanh, kSigmoid, kAffine, kLeakyRelu, kThresholdedRelu, kScaledTanh,
  kHardSigmoid, kElu, kSoftsign, kSoftplus
};

inline float as_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}
inline uint32_t as_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}
// Branch-free choice: GCC turns a float ?: into a branch (and then cannot vectorize the loop
// below AVX-512, which has mask registers) whenever if-converting it would need float ops
// on both paths, since those could trap; the integer bit-select vectorizes on every level.
inline float select_f(bool c, float a, float b) {
  const uint32_t m = 0u - static_cast<uint32_t>(c);
  return as_float((as_bits(a) & m) | (as_bits(b) & ~m));
}
// NaN in a passes through.
inline float max_f(float a, float b) { return select_f(a < b, b, a); }
inline float min_f(float a, float b) { return select_f(b < a, b, a); }
inline float abs_f(float x) { return as_float(as_bits(x) & 0x7fffffffu); }
inline float copysign_f(float mag, float sign) {
  return as_float((as_bits(mag) & 0x7fffffffu) | (as_bits(sign) & 0x80000000u));
}

inline float exp_f(float x) {
  // The clamp keeps 2^n a normal float; beyond it the true result under/overflows anyway.
  x = max_f(x, -87.0f);
  x = min_f(x, 88.0f);
  // Adding 1.5*2^23 rounds to an integer that lands in the low mantissa bits.
  const float magic = 12582912.0f;
  const float t = x * 1.44269504088896341f + magic;
  const float n = t - magic;
  const int32_t ni = static_cast<int32_t>(as_bits(t)) - 0x4B400000;
  // Cody-Waite: ln2 split so n * ln2_hi is exact.
  float r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  return p * as_float(static_cast<uint32_t>(ni + 127) << 23);
}

// e^x - 1 without the cancellation of exp_f(x) - 1 near 0 (Taylor below |x| = 0.35).
inline float expm1_f(float x) {
  float p = 1.0f / 5040;
  p = p * x + 1.0f / 720;
  p = p * x + 1.0f / 120;
  p = p * x + 1.0f / 24;
  p = p * x + 1.0f / 6;
  p = p * x + 0.5f;
  const float small = p * x * x + x;
  const float large = exp_f(x) - 1.0f;
  return select_f(abs_f(x) < 0.35f, small, large);
}

// Natural log for positive normal x.
inline float log_f(float x) {
  const uint32_t u = as_bits(x);
  int32_t e = static_cast<int32_t>(u >> 23) - 126;
  float m = as_float((u & 0x007fffffu) | 0x3f000000u);  // [0.5, 1)
  const bool low = m < 0.707106781186547524f;
  e = low ? e - 1 : e;
  m = select_f(low, m + m, m) - 1.0f;
  const float z = m * m;
  float y = 7.0376836292e-2f;
  y = y * m - 1.1514610310e-1f;
  y = y * m + 1.1676998740e-1f;
  y = y * m - 1.2420140846e-1f;
  y = y * m + 1.4249322787e-1f;
  y = y * m - 1.6668057665e-1f;
  y = y * m + 2.0000714765e-1f;
  y = y * m - 2.4999993993e-1f;
  y = y * m + 3.3333331174e-1f;
  y = y * m * z;
  const float fe = static_cast<float>(e);
  y += fe * -2.12194440e-4f;
  y += -0.5f * z;
  return m + y + fe * 0.693359375f;
}

inline float sigmoid_f(float x) { return 1.0f / (1.0f + exp_f(-x)); }

inline float tanh_f(float x) {
  // Odd polynomial near 0 where 1 - 2/(e^2x + 1) would cancel.
  const float z = x * x;
  float p = -5.70498872745e-3f;
  p = p * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  const float small = x + x * z * p;
  const float ax = abs_f(x);
  const float e = exp_f(2.0f * min_f(ax, 9.0f));
  const float large = copysign_f(1.0f - 2.0f / (e + 1.0f), x);
  return select_f(ax < 0.625f, small, large);
}

// log(1 + e^x) = max(x, 0) + log1p(e^-|x|), with log1p(u) = log(w) - ((w - 1) - u) / w for
// w = 1 + u: the correction restores what rounding w lost, and needs no branch.
inline float softplus_f(float x) {
  const float u = exp_f(-abs_f(x));
  const float w = 1.0f + u;
  return max_f(x, 0.0f) + (log_f(w) - ((w - 1.0f) - u) / w);
}

// y[i] = act(x[i]). The switch sits outside the loops so each loop vectorizes. Len is
// int64_t, or an integral_constant when the gate kernels know the length at compile time.
template <typename Len>
inline void act_forward(const ActSpec& a, const float* __restrict x, float* __restrict y,
                          Len n) {
  const float al = a.alpha, be = a.beta;
  switch (a.kind) {
    case kRelu:
      for (int64_t i = 0; i < n; ++i) y[i] = max_f(x[i], 0.0f);
      break;
    case kTanh:
      for (int64_t i = 0; i < n; ++i) y[i] = tanh_f(x[i]);
      break;
    case kSigmoid:
      for (int64_t i = 0; i < n; ++i) y[i] = sigmoid_f(x[i]);
      break;
    case kAffine:
      for (int64_t i = 0; i < n; ++i) y[i] = al * x[i] + be;
      break;
    case kLeakyRelu:
      for (int64_t i = 0; i < n; ++i) y[i] = select_f(x[i] >= 0.0f, x[i], al * x[i]);
      break;
    case kThresholdedRelu:
      for (int64_t i = 0; i < n; ++i) y[i] = select_f(x[i] > al, x[i], 0.0f);
      break;
    case kScaledTanh:
      for (int64_t i = 0; i < n; ++i) y[i] = al * tanh_f(be * x[i]);
      break;
    case kHardSigmoid:
      for (int64_t i = 0; i < n; ++i) y[i] = min_f(max_f(al * x[i] + be, 0.0f), 1.0f);
      break;
    case kElu:
      for (int64_t i = 0; i < n; ++i) {
        const float e = al * expm1_f(x[i]);
        y[i] = select_f(x[i] < 0.0f, e, x[i]);
      }
      break;
    case kSoftsign:
      for (int64_t i = 0; i < n; ++i) y[i] = x[i] / (1.0f + abs_f(x[i]));
      break;
    case kSoftplus:
      for (int64_t i = 0; i < n; ++i) y[i] = softplus_f(x[i]);
      break;
    default:
      break;
  }
}

// y[i] = act(x[i]) and d[i] = act'(x[i]); at kinks the derivative of the branch taken.
template <typename Len>
inline void act_backward(const ActSpec& a, const float* __restrict x, float* __restrict y,
                           float* __restrict d, Len n) {
  const float al = a.alpha, be = a.beta;
  switch (a.kind) {
    case kRelu:
      for (int64_t i = 0; i < n; ++i) {
        y[i] = max_f(x[i], 0.0f);
        d[i] = select_f(x[i] > 0.0f, 1.0f, 0.0f);
      }
      break;
    case kTanh:
      for (int64_t i = 0; i < n; ++i) {
        const float v = tanh_f(x[i]);
        y[i] = v;
        d[i] = 1.0f - v * v;
      }
      break;
    case kSigmoid:
      for (int64_t i = 0; i < n; ++i) {
        const float v = sigmoid_f(x[i]);
        y[i] = v;
        d[i] = v * (1.0f - v);
      }
      break;
    case kAffine:
      for (int64_t i = 0; i < n; ++i) {
        y[i] = al * x[i] + be;
        d[i] = al;
      }
      break;
    case kLeakyRelu:
      for (int64_t i = 0; i < n; ++i) {
        y[i] = select_f(x[i] >= 0.0f, x[i], al * x[i]);
        d[i] = select_f(x[i] >= 0.0f, 1.0f, al);
      }
      break;
    case kThresholdedRelu:
      for (int64_t i = 0; i < n; ++i) {
        y[i] = select_f(x[i] > al, x[i], 0.0f);
        d[i] = select_f(x[i] > al, 1.0f, 0.0f);
      }
      break;
    case kScaledTanh:
      for (int64_t i = 0; i < n; ++i) {
        const float v = tanh_f(be * x[i]);
        y[i] = al * v;
        d[i] = al * be * (1.0f - v * v);
      }
      break;
    case kHardSigmoid:
      for (int64_t i = 0; i < n; ++i) {
        const float v = al * x[i] + be;
        y[i] = min_f(max_f(v, 0.0f), 1.0f);
        d[i] = select_f((v > 0.0f) & (v < 1.0f), al, 0.0f);
      }
      break;
    case kElu:
      for (int64_t i = 0; i < n; ++i) {
        const bool neg = x[i] < 0.0f;
        const float e = al * expm1_f(x[i]);
        const float de = al * exp_f(x[i]);
        y[i] = select_f(neg, e, x[i]);
        d[i] = select_f(neg, de, 1.0f);
      }
      break;
    case kSoftsign:
      for (int64_t i = 0; i < n; ++i) {
        const float q = 1.0f + abs_f(x[i]);
        y[i] = x[i] / q;
        d[i] = 1.0f / (q * q);
      }
      break;
    case kSoftplus:
      for (int64_t i = 0; i < n; ++i) {
        y[i] = softplus_f(x[i]);
        d[i] = sigmoid_f(x[i]);
      }
      break;
    default:
      break;
  }
}

}  // namespace
}  // namespace LOOM_GATES_NS
}  // namespace cells
}  // namespace loom
