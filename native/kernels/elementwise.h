// Element-wise kernels on flat float32 arrays and row-major [N, C] matrices: activations,
// same-shape and bias-broadcast arithmetic, softmax, losses, embedding, layer norm, dropout.
// Every backward ACCUMULATES (+=) into its gradient buffers, so a tensor used twice sums
// its gradients without a copy; callers zero them first. A null gradient pointer skips
// that gradient. Kernels throw loom::Error on bad data (out-of-range indices), never abort.
#pragma once
#include <cstdint>

namespace loom {

// Numbering shared with src/ops/elementwise.ts (ACTIVATIONS). The backward of Relu, Sigmoid
// and Tanh reads the forward output y (cheaper than recomputing from x, and what a layer
// keeps anyway); the others read the input x; Linear reads neither.
enum class Pointwise : int {
  Linear = 0,
  Relu = 1,
  Sigmoid = 2,
  Tanh = 3,
  Elu = 4,
  Selu = 5,
  Softplus = 6,
  Softsign = 7,
  LeakyRelu = 8,
  Gelu = 9,      // exact, with erf
  GeluTanh = 10, // tanh approximation
  HardSigmoid = 11,
};
constexpr int kPointwiseCount = 12;

// x [n] -> y [n]. alpha: Elu's alpha, LeakyRelu's negative slope; ignored by the rest.
void pointwise_forward(Pointwise kind, float alpha, int64_t n, const float* x, float* y);

// saved [n] (y or x, as the enum says; may be null for Linear), dy [n]:
// dx [n] += dy * f'.
void pointwise_backward(Pointwise kind, float alpha, int64_t n, const float* saved,
                        const float* dy, float* dx);

enum class BinaryOp : int { Add = 0, Sub = 1, Mul = 2 };

// a [n], b [n] -> y [n] = a op b.
void binary_forward(BinaryOp op, int64_t n, const float* a, const float* b, float* y);

// a, b, dy [n]: da [n] += dy * dy/da, db [n] += dy * dy/db. a is read only for Mul's db,
// b only for Mul's da.
void binary_backward(BinaryOp op, int64_t n, const float* a, const float* b, const float* dy,
                     float* da, float* db);

// x [N, C], b [C] -> y [N, C] = x op b broadcast over rows.
void bias_forward(BinaryOp op, int64_t N, int64_t C, const float* x, const float* b, float* y);

// x [N, C], b [C], dy [N, C]: dx [N, C] += ..., db [C] += column sums of dy * dy/db.
void bias_backward(BinaryOp op, int64_t N, int64_t C, const float* x, const float* b,
                   const float* dy, float* dx, float* db);

// x [rows, cols] -> y [rows, cols], softmax (or log-softmax) of each row.
void softmax_forward(bool log, int64_t rows, int64_t cols, const float* x, float* y);

// y [rows, cols] (the forward output), dy [rows, cols]: dx [rows, cols] += ...
void softmax_backward(bool log, int64_t rows, int64_t cols, const float* y, const float* dy,
                      float* dx);

// Softmax cross-entropy on logits [N, C]. Exactly one of labels [N] (int32 classes) or
// targets [N, C] (probabilities; rows need not sum to 1) is non-null. A label equal to
// ignore_index (when has_ignore) gives zero loss and gradient; any other label outside
// [0, C) throws. weights [N] scale each row (null: 1).
struct CrossEntropyArgs {
  int64_t N = 0, C = 0;
  const float* logits = nullptr;
  const int32_t* labels = nullptr;
  const float* targets = nullptr;
  const float* weights = nullptr;
  bool has_ignore = false;
  int32_t ignore_index = -1;
};

// -> loss [N].
void cross_entropy_forward(const CrossEntropyArgs& a, float* loss);

// dloss [N] (upstream gradient of each row's loss): dlogits [N, C] += ...
void cross_entropy_backward(const CrossEntropyArgs& a, const float* dloss, float* dlogits);

// Sigmoid cross-entropy on logits [N, C] with targets [N, C] in [0, 1], weights [N] per row
// (null: 1) -> loss [N, C], element by element.
void binary_cross_entropy_forward(int64_t N, int64_t C, const float* logits,
                                  const float* targets, const float* weights, float* loss);

// dloss [N, C]: dlogits [N, C] += dloss * weight * (sigmoid(logits) - targets).
void binary_cross_entropy_backward(int64_t N, int64_t C, const float* logits,
                                   const float* targets, const float* weights,
                                   const float* dloss, float* dlogits);

// table [V, E], indices [N] -> out [N, E]. Checks every index is in [0, V) before writing.
void embedding_forward(int64_t V, int64_t E, int64_t N, const float* table,
                       const int32_t* indices, float* out);

// indices [N], dout [N, E]: dtable [V, E] += scatter of dout rows. Deterministic: each
// element sums its rows in index order whatever the thread count.
void embedding_backward(int64_t V, int64_t E, int64_t N, const int32_t* indices,
                        const float* dout, float* dtable);

// x [N, C] normalized over each row, then * gamma [C] + beta [C] (either may be null)
// -> y [N, C], mean [N], rstd [N] (1 / sqrt(var + epsilon), kept for backward).
void layer_norm_forward(int64_t N, int64_t C, float epsilon, const float* x, const float* gamma,
                        const float* beta, float* y, float* mean, float* rstd);

// x, dy [N, C], gamma [C] (or null), mean, rstd [N]: dx [N, C] += ..., dgamma [C] += ...,
// dbeta [C] += ... (each may be null).
void layer_norm_backward(int64_t N, int64_t C, const float* x, const float* gamma,
                         const float* mean, const float* rstd, const float* dy, float* dx,
                         float* dgamma, float* dbeta);

// x [n] -> y [n], mask [n]: each element kept with probability 1 - rate, decided by a
// counter-based hash of (seed, index) so the mask does not depend on the thread count;
// mask holds 1 / (1 - rate) where kept and 0 where dropped, y = x * mask. rate in [0, 1).
void dropout_forward(int64_t n, float rate, uint64_t seed, const float* x, float* y,
                     float* mask);

// mask, dy [n]: dx [n] += dy * mask.
void dropout_backward(int64_t n, const float* mask, const float* dy, float* dx);

}  // namespace loom
