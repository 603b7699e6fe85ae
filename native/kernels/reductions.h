// Sums and means of float32 data, with backward. Accumulation is in double and in a fixed
// order, so results do not depend on the thread count. Backward ACCUMULATES (+=).
#pragma once
#include <cstdint>

namespace loom {

// Which elements a reduction combines, for x viewed as [N, C].
enum class ReduceAxis : int {
  All = 0,    // every element -> y [1]
  Last = 1,   // each row -> y [N]
  First = 2,  // each column -> y [C]
};

// x [N, C] -> y (see ReduceAxis); the mean divides by the count reduced.
void reduce_forward(ReduceAxis axis, bool mean, int64_t N, int64_t C, const float* x, float* y);

// dy shaped as the forward's y: dx [N, C] += dy broadcast back (divided by the count for the
// mean).
void reduce_backward(ReduceAxis axis, bool mean, int64_t N, int64_t C, const float* dy,
                     float* dx);

// Helpers the other kernels share. x [n] -> sum in double, in a fixed order.
double sum_contiguous(int64_t n, const float* x);

// x [N, C], w [N, C] (or null: 1) -> out [C] += column sums of x * w, each accumulated in
// double over the rows in order; threads split the columns.
void column_sums_add(int64_t N, int64_t C, const float* x, const float* w, float* out);

}  // namespace loom
