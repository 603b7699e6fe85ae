#include "elementwise.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "../cpu/threads.h"
#include "error.h"
#include "reductions.h"

namespace loom {
namespace {

// Elements per thread below which a hand-off costs more than the work: memory-bound loops
// need more than loops that call exp/tanh/erf per element.
constexpr int64_t kCheapGrain = 1 << 16;
constexpr int64_t kCostlyGrain = 1 << 13;

int64_t row_grain(int64_t cols, int64_t per_thread) {
  return std::max<int64_t>(1, per_thread / std::max<int64_t>(1, cols));
}

template <typename F>
void map_unary(int64_t n, int64_t grain, const float* x, float* y, F f) {
  parallel_for(n, grain, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) y[i] = f(x[i]);
  });
}

// dx += dy * f'(s) where s is x or y, as the activation's backward needs.
template <typename F>
void map_grad(int64_t n, int64_t grain, const float* s, const float* dy, float* dx, F fprime) {
  parallel_for(n, grain, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) dx[i] += dy[i] * fprime(s[i]);
  });
}

// exp(-|x|) never overflows, so both branches stay finite for any x.
inline float stable_sigmoid(float x) {
  const float e = std::exp(-std::fabs(x));
  return x >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
}

constexpr float kSeluAlpha = 1.6732632423543772f;
constexpr float kSeluScale = 1.0507009873554805f;
constexpr float kSqrtHalf = 0.70710678118654752f;
constexpr float kInvSqrt2Pi = 0.39894228040143268f;
constexpr float kGeluK = 0.79788456080286536f;  // sqrt(2 / pi)
constexpr float kGeluC = 0.044715f;

[[noreturn]] void index_error(const char* op, const char* name, int64_t pos, int64_t value,
                              int64_t limit) {
  throw Error("ERANGE", std::string(op) + ": " + name + "[" + std::to_string(pos) +
                            "] must be in [0, " + std::to_string(limit) + "), got " +
                            std::to_string(value));
}

}  // namespace

// x [n] -> y [n]
void pointwise_forward(Pointwise kind, float alpha, int64_t n, const float* x, float* y) {
  constexpr int64_t cheap = kCheapGrain, costly = kCostlyGrain;
  switch (kind) {
    case Pointwise::Linear:
      return map_unary(n, cheap, x, y, [](float v) { return v; });
    case Pointwise::Relu:
      return map_unary(n, cheap, x, y, [](float v) { return v > 0.0f ? v : 0.0f; });
    case Pointwise::Sigmoid:
      return map_unary(n, costly, x, y, stable_sigmoid);
    case Pointwise::Tanh:
      return map_unary(n, costly, x, y, [](float v) { return std::tanh(v); });
    case Pointwise::Elu:
      return map_unary(n, costly, x, y,
                       [alpha](float v) { return v > 0.0f ? v : alpha * std::expm1(v); });
    case Pointwise::Selu:
      return map_unary(n, costly, x, y, [](float v) {
        return kSeluScale * (v > 0.0f ? v : kSeluAlpha * std::expm1(v));
      });
    case Pointwise::Softplus:
      return map_unary(n, costly, x, y, [](float v) {
        return std::max(v, 0.0f) + std::log1p(std::exp(-std::fabs(v)));
      });
    case Pointwise::Softsign:
      return map_unary(n, cheap, x, y, [](float v) { return v / (1.0f + std::fabs(v)); });
    case Pointwise::LeakyRelu:
      return map_unary(n, cheap, x, y, [alpha](float v) { return v > 0.0f ? v : alpha * v; });
    case Pointwise::Gelu:
      return map_unary(n, costly, x, y,
                       [](float v) { return 0.5f * v * (1.0f + std::erf(v * kSqrtHalf)); });
    case Pointwise::GeluTanh:
      return map_unary(n, costly, x, y, [](float v) {
        return 0.5f * v * (1.0f + std::tanh(kGeluK * (v + kGeluC * v * v * v)));
      });
    case Pointwise::HardSigmoid:
      return map_unary(n, cheap, x, y,
                       [](float v) { return std::min(1.0f, std::max(0.0f, 0.2f * v + 0.5f)); });
  }
  throw Error("EINVAL", "activation: unknown kind " + std::to_string(static_cast<int>(kind)));
}

// saved [n], dy [n] -> dx [n] +=
void pointwise_backward(Pointwise kind, float alpha, int64_t n, const float* saved,
                        const float* dy, float* dx) {
  constexpr int64_t cheap = kCheapGrain, costly = kCostlyGrain;
  switch (kind) {
    case Pointwise::Linear:
      return map_grad(n, cheap, dy, dy, dx, [](float) { return 1.0f; });
    case Pointwise::Relu:  // from y: y > 0 exactly where x > 0
      return map_grad(n, cheap, saved, dy, dx, [](float y) { return y > 0.0f ? 1.0f : 0.0f; });
    case Pointwise::Sigmoid:
      return map_grad(n, cheap, saved, dy, dx, [](float y) { return y * (1.0f - y); });
    case Pointwise::Tanh:
      return map_grad(n, cheap, saved, dy, dx, [](float y) { return 1.0f - y * y; });
    case Pointwise::Elu:
      return map_grad(n, costly, saved, dy, dx,
                      [alpha](float x) { return x > 0.0f ? 1.0f : alpha * std::exp(x); });
    case Pointwise::Selu:
      return map_grad(n, costly, saved, dy, dx, [](float x) {
        return x > 0.0f ? kSeluScale : kSeluScale * kSeluAlpha * std::exp(x);
      });
    case Pointwise::Softplus:
      return map_grad(n, costly, saved, dy, dx, stable_sigmoid);
    case Pointwise::Softsign:
      return map_grad(n, cheap, saved, dy, dx, [](float x) {
        const float d = 1.0f + std::fabs(x);
        return 1.0f / (d * d);
      });
    case Pointwise::LeakyRelu:
      return map_grad(n, cheap, saved, dy, dx,
                      [alpha](float x) { return x > 0.0f ? 1.0f : alpha; });
    case Pointwise::Gelu:
      return map_grad(n, costly, saved, dy, dx, [](float x) {
        return 0.5f * (1.0f + std::erf(x * kSqrtHalf)) + x * kInvSqrt2Pi * std::exp(-0.5f * x * x);
      });
    case Pointwise::GeluTanh:
      return map_grad(n, costly, saved, dy, dx, [](float x) {
        const float t = std::tanh(kGeluK * (x + kGeluC * x * x * x));
        const float du = kGeluK * (1.0f + 3.0f * kGeluC * x * x);
        return 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * du;
      });
    case Pointwise::HardSigmoid:
      return map_grad(n, cheap, saved, dy, dx,
                      [](float x) { return x > -2.5f && x < 2.5f ? 0.2f : 0.0f; });
  }
  throw Error("EINVAL", "activation: unknown kind " + std::to_string(static_cast<int>(kind)));
}

// a, b [n] -> y [n]
void binary_forward(BinaryOp op, int64_t n, const float* a, const float* b, float* y) {
  parallel_for(n, kCheapGrain, [&](int64_t i0, int64_t i1) {
    switch (op) {
      case BinaryOp::Add:
        for (int64_t i = i0; i < i1; ++i) y[i] = a[i] + b[i];
        break;
      case BinaryOp::Sub:
        for (int64_t i = i0; i < i1; ++i) y[i] = a[i] - b[i];
        break;
      case BinaryOp::Mul:
        for (int64_t i = i0; i < i1; ++i) y[i] = a[i] * b[i];
        break;
    }
  });
}

// a, b, dy [n] -> da, db [n] +=
void binary_backward(BinaryOp op, int64_t n, const float* a, const float* b, const float* dy,
                     float* da, float* db) {
  parallel_for(n, kCheapGrain, [&](int64_t i0, int64_t i1) {
    if (da) {
      if (op == BinaryOp::Mul) {
        for (int64_t i = i0; i < i1; ++i) da[i] += dy[i] * b[i];
      } else {
        for (int64_t i = i0; i < i1; ++i) da[i] += dy[i];
      }
    }
    if (db) {
      if (op == BinaryOp::Mul) {
        for (int64_t i = i0; i < i1; ++i) db[i] += dy[i] * a[i];
      } else if (op == BinaryOp::Sub) {
        for (int64_t i = i0; i < i1; ++i) db[i] -= dy[i];
      } else {
        for (int64_t i = i0; i < i1; ++i) db[i] += dy[i];
      }
    }
  });
}

// x [N, C], b [C] -> y [N, C]
void bias_forward(BinaryOp op, int64_t N, int64_t C, const float* x, const float* b, float* y) {
  if (op == BinaryOp::Sub) throw Error("EINVAL", "bias: op must be add or mul");
  parallel_for(N, row_grain(C, kCheapGrain), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* xr = x + r * C;
      float* yr = y + r * C;
      if (op == BinaryOp::Mul) {
        for (int64_t c = 0; c < C; ++c) yr[c] = xr[c] * b[c];
      } else {
        for (int64_t c = 0; c < C; ++c) yr[c] = xr[c] + b[c];
      }
    }
  });
}

// x [N, C], b [C], dy [N, C] -> dx [N, C] +=, db [C] +=
void bias_backward(BinaryOp op, int64_t N, int64_t C, const float* x, const float* b,
                   const float* dy, float* dx, float* db) {
  if (op == BinaryOp::Sub) throw Error("EINVAL", "bias: op must be add or mul");
  const bool mul = op == BinaryOp::Mul;
  if (dx) {
    parallel_for(N, row_grain(C, kCheapGrain), [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const float* g = dy + r * C;
        float* d = dx + r * C;
        if (mul) {
          for (int64_t c = 0; c < C; ++c) d[c] += g[c] * b[c];
        } else {
          for (int64_t c = 0; c < C; ++c) d[c] += g[c];
        }
      }
    });
  }
  if (db) column_sums_add(N, C, dy, mul ? x : nullptr, db);
}

// x [rows, cols] -> y [rows, cols]
void softmax_forward(bool log, int64_t rows, int64_t cols, const float* x, float* y) {
  if (cols == 0) return;
  parallel_for(rows, row_grain(cols, kCostlyGrain), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* xr = x + r * cols;
      float* yr = y + r * cols;
      const float m = *std::max_element(xr, xr + cols);
      double sum = 0;
      for (int64_t c = 0; c < cols; ++c) {
        yr[c] = std::exp(xr[c] - m);
        sum += yr[c];
      }
      if (log) {
        const float lse = m + static_cast<float>(std::log(sum));
        for (int64_t c = 0; c < cols; ++c) yr[c] = xr[c] - lse;
      } else {
        const float inv = static_cast<float>(1.0 / sum);
        for (int64_t c = 0; c < cols; ++c) yr[c] *= inv;
      }
    }
  });
}

// y, dy [rows, cols] -> dx [rows, cols] +=
void softmax_backward(bool log, int64_t rows, int64_t cols, const float* y, const float* dy,
                      float* dx) {
  parallel_for(rows, row_grain(cols, kCostlyGrain), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* yr = y + r * cols;
      const float* g = dy + r * cols;
      float* d = dx + r * cols;
      if (log) {
        const float s = static_cast<float>(sum_contiguous(cols, g));
        for (int64_t c = 0; c < cols; ++c) d[c] += g[c] - std::exp(yr[c]) * s;
      } else {
        double dot = 0;
        for (int64_t c = 0; c < cols; ++c) dot += static_cast<double>(g[c]) * yr[c];
        const float s = static_cast<float>(dot);
        for (int64_t c = 0; c < cols; ++c) d[c] += yr[c] * (g[c] - s);
      }
    }
  });
}

namespace {

void check_labels(const CrossEntropyArgs& a) {
  if (!a.labels) return;
  for (int64_t n = 0; n < a.N; ++n) {
    const int32_t l = a.labels[n];
    if (a.has_ignore && l == a.ignore_index) continue;
    if (l < 0 || l >= a.C) index_error("crossEntropyWithLogits", "labels", n, l, a.C);
  }
}

// log(sum(exp(row))), shifted by the row maximum so no exp overflows.
float log_sum_exp(int64_t C, const float* row) {
  const float m = *std::max_element(row, row + C);
  double sum = 0;
  for (int64_t c = 0; c < C; ++c) sum += std::exp(row[c] - m);
  return m + static_cast<float>(std::log(sum));
}

}  // namespace

// logits [N, C], labels [N] | targets [N, C], weights [N] -> loss [N]
void cross_entropy_forward(const CrossEntropyArgs& a, float* loss) {
  check_labels(a);
  const int64_t C = a.C;
  parallel_for(a.N, row_grain(C, kCostlyGrain), [&](int64_t r0, int64_t r1) {
    for (int64_t n = r0; n < r1; ++n) {
      const float* z = a.logits + n * C;
      const float w = a.weights ? a.weights[n] : 1.0f;
      if (a.labels) {
        const int32_t l = a.labels[n];
        loss[n] = a.has_ignore && l == a.ignore_index ? 0.0f : w * (log_sum_exp(C, z) - z[l]);
        continue;
      }
      const float* t = a.targets + n * C;
      const double lse = log_sum_exp(C, z);
      double sum = 0;
      for (int64_t c = 0; c < C; ++c) sum += static_cast<double>(t[c]) * (lse - z[c]);
      loss[n] = static_cast<float>(w * sum);
    }
  });
}

// dloss [N] -> dlogits [N, C] +=
void cross_entropy_backward(const CrossEntropyArgs& a, const float* dloss, float* dlogits) {
  check_labels(a);
  const int64_t C = a.C;
  parallel_for(a.N, row_grain(C, kCostlyGrain), [&](int64_t r0, int64_t r1) {
    for (int64_t n = r0; n < r1; ++n) {
      const float* z = a.logits + n * C;
      float* d = dlogits + n * C;
      const float g = dloss[n] * (a.weights ? a.weights[n] : 1.0f);
      if (a.labels) {
        const int32_t l = a.labels[n];
        if (a.has_ignore && l == a.ignore_index) continue;
        const float lse = log_sum_exp(C, z);
        for (int64_t c = 0; c < C; ++c) d[c] += g * std::exp(z[c] - lse);
        d[l] -= g;
        continue;
      }
      // d/dz of sum_c t_c (lse - z_c) is softmax * sum(t) - t: targets need not sum to 1.
      const float* t = a.targets + n * C;
      const float lse = log_sum_exp(C, z);
      const float total = static_cast<float>(sum_contiguous(C, t));
      for (int64_t c = 0; c < C; ++c) d[c] += g * (std::exp(z[c] - lse) * total - t[c]);
    }
  });
}

// logits, targets [N, C], weights [N] -> loss [N, C]
void binary_cross_entropy_forward(int64_t N, int64_t C, const float* logits,
                                  const float* targets, const float* weights, float* loss) {
  parallel_for(N, row_grain(C, kCostlyGrain), [&](int64_t r0, int64_t r1) {
    for (int64_t n = r0; n < r1; ++n) {
      const float w = weights ? weights[n] : 1.0f;
      const float* z = logits + n * C;
      const float* t = targets + n * C;
      float* out = loss + n * C;
      // max(z, 0) - z t + log(1 + exp(-|z|)) is -[t log s(z) + (1 - t) log(1 - s(z))]
      // without the log(0) that s(z) rounding to 0 or 1 would give.
      for (int64_t c = 0; c < C; ++c) {
        const float v = z[c];
        out[c] = w * (std::max(v, 0.0f) - v * t[c] + std::log1p(std::exp(-std::fabs(v))));
      }
    }
  });
}

// dloss [N, C] -> dlogits [N, C] +=
void binary_cross_entropy_backward(int64_t N, int64_t C, const float* logits,
                                   const float* targets, const float* weights,
                                   const float* dloss, float* dlogits) {
  parallel_for(N, row_grain(C, kCostlyGrain), [&](int64_t r0, int64_t r1) {
    for (int64_t n = r0; n < r1; ++n) {
      const float w = weights ? weights[n] : 1.0f;
      const int64_t o = n * C;
      for (int64_t c = 0; c < C; ++c) {
        dlogits[o + c] += dloss[o + c] * w * (stable_sigmoid(logits[o + c]) - targets[o + c]);
      }
    }
  });
}

namespace {

void check_indices(const char* op, int64_t V, int64_t N, const int32_t* indices) {
  for (int64_t n = 0; n < N; ++n) {
    if (indices[n] < 0 || indices[n] >= V) index_error(op, "indices", n, indices[n], V);
  }
}

}  // namespace

// table [V, E], indices [N] -> out [N, E]
void embedding_forward(int64_t V, int64_t E, int64_t N, const float* table,
                       const int32_t* indices, float* out) {
  check_indices("embedding", V, N, indices);
  if (E == 0) return;
  parallel_for(N, row_grain(E, kCheapGrain), [&](int64_t r0, int64_t r1) {
    for (int64_t n = r0; n < r1; ++n) {
      std::memcpy(out + n * E, table + static_cast<int64_t>(indices[n]) * E, sizeof(float) * E);
    }
  });
}

// indices [N], dout [N, E] -> dtable [V, E] +=
void embedding_backward(int64_t V, int64_t E, int64_t N, const int32_t* indices,
                        const float* dout, float* dtable) {
  check_indices("embeddingBackward", V, N, indices);
  // Threads own column ranges and walk every row: repeated indices never race, and each
  // element adds its rows in index order whatever the split. At least 16 columns (a cache
  // line) per thread keeps them off each other's lines.
  const int64_t grain = std::max<int64_t>(16, kCheapGrain / std::max<int64_t>(1, N));
  parallel_for(E, grain, [&](int64_t e0, int64_t e1) {
    for (int64_t n = 0; n < N; ++n) {
      float* dst = dtable + static_cast<int64_t>(indices[n]) * E;
      const float* src = dout + n * E;
      for (int64_t e = e0; e < e1; ++e) dst[e] += src[e];
    }
  });
}

// x [N, C], gamma, beta [C] -> y [N, C], mean, rstd [N]
void layer_norm_forward(int64_t N, int64_t C, float epsilon, const float* x, const float* gamma,
                        const float* beta, float* y, float* mean, float* rstd) {
  parallel_for(N, row_grain(C, kCheapGrain / 4), [&](int64_t r0, int64_t r1) {
    for (int64_t n = r0; n < r1; ++n) {
      const float* xr = x + n * C;
      float* yr = y + n * C;
      // Two passes: E[x^2] - E[x]^2 cancels catastrophically when |mean| >> std.
      const double mu = sum_contiguous(C, xr) / static_cast<double>(C);
      double var = 0;
      for (int64_t c = 0; c < C; ++c) var += (xr[c] - mu) * (xr[c] - mu);
      var /= static_cast<double>(C);
      const float m = static_cast<float>(mu);
      const float rs = static_cast<float>(1.0 / std::sqrt(var + epsilon));
      mean[n] = m;
      rstd[n] = rs;
      for (int64_t c = 0; c < C; ++c) {
        yr[c] = (xr[c] - m) * rs * (gamma ? gamma[c] : 1.0f) + (beta ? beta[c] : 0.0f);
      }
    }
  });
}

namespace {

// x, dy [N, C], mean, rstd [N] -> dgamma [C] += column sums of dy * xhat, xhat recomputed
// per element. Threads own blocks of columns, so the order of the row sums is fixed.
void layer_norm_dgamma(int64_t N, int64_t C, const float* x, const float* mean,
                       const float* rstd, const float* dy, float* dgamma) {
  constexpr int64_t block = 64;
  const int64_t blocks = (C + block - 1) / block;
  const int64_t grain = std::max<int64_t>(1, kCheapGrain / std::max<int64_t>(1, N * block));
  parallel_for(blocks, grain, [&](int64_t b0, int64_t b1) {
    double acc[block];
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t c0 = b * block, width = std::min(block, C - c0);
      std::fill(acc, acc + width, 0.0);
      for (int64_t n = 0; n < N; ++n) {
        const float* xr = x + n * C + c0;
        const float* g = dy + n * C + c0;
        const float m = mean[n], rs = rstd[n];
        for (int64_t c = 0; c < width; ++c) {
          acc[c] += static_cast<double>(g[c]) * ((xr[c] - m) * rs);
        }
      }
      for (int64_t c = 0; c < width; ++c) dgamma[c0 + c] += static_cast<float>(acc[c]);
    }
  });
}

}  // namespace

// x, dy [N, C], gamma [C], mean, rstd [N] -> dx [N, C] +=, dgamma, dbeta [C] +=
void layer_norm_backward(int64_t N, int64_t C, const float* x, const float* gamma,
                         const float* mean, const float* rstd, const float* dy, float* dx,
                         float* dgamma, float* dbeta) {
  if (dx) {
    parallel_for(N, row_grain(C, kCheapGrain / 4), [&](int64_t r0, int64_t r1) {
      for (int64_t n = r0; n < r1; ++n) {
        const float* xr = x + n * C;
        const float* g = dy + n * C;
        float* d = dx + n * C;
        const float m = mean[n], rs = rstd[n];
        // dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)), dxhat = dy * gamma.
        double sum_dxhat = 0, sum_dxhat_xhat = 0;
        for (int64_t c = 0; c < C; ++c) {
          const float dxhat = g[c] * (gamma ? gamma[c] : 1.0f);
          sum_dxhat += dxhat;
          sum_dxhat_xhat += static_cast<double>(dxhat) * ((xr[c] - m) * rs);
        }
        const float a = static_cast<float>(sum_dxhat / static_cast<double>(C));
        const float b = static_cast<float>(sum_dxhat_xhat / static_cast<double>(C));
        for (int64_t c = 0; c < C; ++c) {
          const float xhat = (xr[c] - m) * rs;
          d[c] += rs * (g[c] * (gamma ? gamma[c] : 1.0f) - a - xhat * b);
        }
      }
    });
  }
  if (dbeta) column_sums_add(N, C, dy, nullptr, dbeta);
  if (dgamma) layer_norm_dgamma(N, C, x, mean, rstd, dy, dgamma);
}

namespace {

// splitmix64's finalizer: a bijection on 64 bits whose every output bit depends on every
// input bit, so consecutive counters give independent-looking values.
inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

constexpr uint64_t kGolden = 0x9e3779b97f4a7c15ull;

}  // namespace

// x [n] -> y [n], mask [n]
void dropout_forward(int64_t n, float rate, uint64_t seed, const float* x, float* y,
                     float* mask) {
  if (!(rate >= 0.0f && rate < 1.0f)) {
    throw Error("EINVAL", "dropout: rate must be in [0, 1), got " + std::to_string(rate));
  }
  // Element i keeps when the high 32 bits of its hash reach rate * 2^32: probability 1 - rate
  // to within 2^-32, from (seed, i) alone.
  const uint64_t threshold = static_cast<uint64_t>(static_cast<double>(rate) * 4294967296.0);
  const float scale = 1.0f / (1.0f - rate);
  const uint64_t key = mix64(seed + kGolden);
  parallel_for(n, kCheapGrain / 4, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      const uint64_t h = mix64(key + static_cast<uint64_t>(i + 1) * kGolden);
      const float m = (h >> 32) >= threshold ? scale : 0.0f;
      mask[i] = m;
      y[i] = x[i] * m;
    }
  });
}

// mask, dy [n] -> dx [n] +=
void dropout_backward(int64_t n, const float* mask, const float* dy, float* dx) {
  parallel_for(n, kCheapGrain, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) dx[i] += dy[i] * mask[i];
  });
}

}  // namespace loom
