#include "reductions.h"

#include <algorithm>
#include <limits>
#include <vector>

#include "../cpu/threads.h"

namespace loom {
namespace {

// Below this many elements a thread hand-off costs more than the loop.
constexpr int64_t kGrain = 1 << 15;
// Fixed block for the all-elements sum: the partials and their order depend only on n.
constexpr int64_t kSumBlock = 1 << 14;
// Columns one pass over the rows accumulates: 64 doubles stay in registers / L1.
constexpr int64_t kColumnBlock = 64;

// Eight independent double lanes let GCC vectorize the widening adds (a single running sum
// is a dependency chain it may not reorder without -ffast-math).
double block_sum(int64_t n, const float* x) {
  double lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int k = 0; k < 8; ++k) lane[k] += static_cast<double>(x[i + k]);
  }
  for (; i < n; ++i) lane[0] += static_cast<double>(x[i]);
  return ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
}

}  // namespace

double sum_contiguous(int64_t n, const float* x) {
  if (n <= kSumBlock) return block_sum(n, x);
  const int64_t blocks = (n + kSumBlock - 1) / kSumBlock;
  std::vector<double> partial(static_cast<size_t>(blocks));
  parallel_for(blocks, std::max<int64_t>(1, kGrain / kSumBlock), [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t start = b * kSumBlock;
      partial[b] = block_sum(std::min(kSumBlock, n - start), x + start);
    }
  });
  double total = 0;
  for (double p : partial) total += p;
  return total;
}

void column_sums_add(int64_t N, int64_t C, const float* x, const float* w, float* out) {
  if (N <= 0 || C <= 0) return;
  const int64_t blocks = (C + kColumnBlock - 1) / kColumnBlock;
  const int64_t grain = std::max<int64_t>(1, kGrain / (N * kColumnBlock));
  parallel_for(blocks, grain, [&](int64_t b0, int64_t b1) {
    double acc[kColumnBlock];
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t c0 = b * kColumnBlock, width = std::min(kColumnBlock, C - c0);
      std::fill(acc, acc + width, 0.0);
      for (int64_t n = 0; n < N; ++n) {
        const float* xr = x + n * C + c0;
        if (w) {
          const float* wr = w + n * C + c0;
          for (int64_t c = 0; c < width; ++c) acc[c] += static_cast<double>(xr[c]) * wr[c];
        } else {
          for (int64_t c = 0; c < width; ++c) acc[c] += static_cast<double>(xr[c]);
        }
      }
      for (int64_t c = 0; c < width; ++c) out[c0 + c] += static_cast<float>(acc[c]);
    }
  });
}

// x [N, C] -> y [1] (All), y [N] (Last), y [C] (First).
void reduce_forward(ReduceAxis axis, bool mean, int64_t N, int64_t C, const float* x, float* y) {
  switch (axis) {
    case ReduceAxis::All: {
      const int64_t n = N * C;
      const double s = sum_contiguous(n, x);
      const double nan = std::numeric_limits<double>::quiet_NaN();
      y[0] = static_cast<float>(mean ? (n > 0 ? s / static_cast<double>(n) : nan) : s);
      return;
    }
    case ReduceAxis::Last: {
      const double scale = mean ? 1.0 / static_cast<double>(C) : 1.0;
      parallel_for(N, std::max<int64_t>(1, kGrain / std::max<int64_t>(1, C)),
                   [&](int64_t r0, int64_t r1) {
                     for (int64_t r = r0; r < r1; ++r) {
                       y[r] = static_cast<float>(block_sum(C, x + r * C) * scale);
                     }
                   });
      return;
    }
    case ReduceAxis::First: {
      std::fill(y, y + C, 0.0f);
      column_sums_add(N, C, x, nullptr, y);
      if (mean) {
        const float scale = 1.0f / static_cast<float>(N);
        for (int64_t c = 0; c < C; ++c) y[c] *= scale;
      }
      return;
    }
  }
}

// dy [1] / [N] / [C] -> dx [N, C] += broadcast.
void reduce_backward(ReduceAxis axis, bool mean, int64_t N, int64_t C, const float* dy,
                     float* dx) {
  const int64_t count = axis == ReduceAxis::All ? N * C : axis == ReduceAxis::Last ? C : N;
  const float scale = mean ? 1.0f / static_cast<float>(count) : 1.0f;
  parallel_for(N, std::max<int64_t>(1, kGrain / std::max<int64_t>(1, C)),
               [&](int64_t r0, int64_t r1) {
                 for (int64_t r = r0; r < r1; ++r) {
                   float* row = dx + r * C;
                   if (axis == ReduceAxis::First) {
                     for (int64_t c = 0; c < C; ++c) row[c] += dy[c] * scale;
                   } else {
                     const float g = dy[axis == ReduceAxis::All ? 0 : r] * scale;
                     for (int64_t c = 0; c < C; ++c) row[c] += g;
                   }
                 }
               });
}

}  // namespace loom
