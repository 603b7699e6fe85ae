// Whole-sequence recurrent ops (RNN, LSTM, GRU) with ONNX semantics, forward and BPTT
// backward. Weights in ONNX layout and gate order: LSTM i,o,f,c; GRU z,r,h; RNN one gate.
//
// Shapes (time-major, ONNX layout = 0; D = 1 or 2 directions, G = gates, H = hidden):
//   X [T, B, I]   W [D, G*H, I]   R [D, G*H, H]   Bias [D, 2*G*H] (Wb then Rb)
//   P [D, 3*H] (LSTM peepholes i, o, f)   seq_lens [B] (0..T)   h0, c0 [D, B, H]
//   Y [T, D, B, H]   Y_h, Y_c [D, B, H]
// Steps t >= seq_lens[b] leave the state unchanged and write zeros to Y; the reverse
// direction starts at each row's own last real step. Y_h / Y_c hold the state after each
// row's last real step (h0 / c0, or zeros, when seq_lens[b] == 0).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace loom {

enum class Cell : int { RNN = 0, LSTM = 1, GRU = 2 };
enum class Direction : int { Forward = 0, Reverse = 1, Bidirectional = 2 };

// ONNX recurrent activations; alpha/beta as the ONNX operator spec defines per function.
enum class Act : int {
  Relu = 0, Tanh, Sigmoid, Affine, LeakyRelu, ThresholdedRelu, ScaledTanh, HardSigmoid,
  Elu, Softsign, Softplus
};
struct Activation {
  Act kind;
  float alpha;
  float beta;
};

inline int gate_count(Cell c) { return c == Cell::LSTM ? 4 : c == Cell::GRU ? 3 : 1; }

struct RecurrentDesc {
  Cell cell;
  Direction direction;
  int64_t T, B, I, H;
  // Per direction (index 0 forward/only, 1 reverse): f, g, h as in the ONNX spec.
  // RNN uses act[d][0]; GRU act[d][0..1]; LSTM act[d][0..2].
  Activation act[2][3];
  float clip;                // > 0: clip gate pre-activations to [-clip, clip]; else none
  bool input_forget;         // LSTM: couple forget gate to input gate (f = 1 - i)
  bool linear_before_reset;  // GRU
  int64_t checkpoint_every;  // training: 0 keeps every step; k > 0 keeps states every k
                             // steps and recomputes each segment in backward
};

inline int num_directions(const RecurrentDesc& d) {
  return d.direction == Direction::Bidirectional ? 2 : 1;
}

// Floats a training forward must be given in `reserve` for backward to use.
size_t reserve_size(const RecurrentDesc& desc);

struct RecurrentForwardArgs {
  const float* X;
  const float* W;
  const float* R;
  const float* Bias;         // nullable: zeros
  const float* P;            // nullable: zeros
  const int32_t* seq_lens;   // nullable: all T
  const float* h0;           // nullable: zeros
  const float* c0;           // nullable: zeros
  float* Y;                  // nullable
  float* Y_h;                // nullable
  float* Y_c;                // nullable
  float* reserve;            // nullable (inference); else reserve_size(desc) floats
  const float* packed;       // nullable; else W and R as recurrent_pack wrote them for desc
  size_t packed_floats;
};

// Throws loom::Error on bad descriptors (sizes, lengths out of [0, T], ...).
void recurrent_forward(const RecurrentDesc& desc, const RecurrentForwardArgs& args);

// Inference weights packed ahead of the calls that read them (as a runtime packs a loaded
// model's weights once): W^T for the input projection and R^T as the steps read it. The
// layout depends on desc's cell, sizes and directions, on whether B takes the one-vector
// step path, and on the thread count and kernel in use: recurrent_pack_key names that, and a
// forward call given a buffer packed under another key fails rather than misread it.
std::string recurrent_pack_key(const RecurrentDesc& desc);
size_t recurrent_pack_size(const RecurrentDesc& desc);
void recurrent_pack(const RecurrentDesc& desc, const float* W, const float* R, float* packed,
                    size_t floats);

struct RecurrentBackwardArgs {
  // The same inputs the training forward was called with, and its reserve.
  const float* X;
  const float* W;
  const float* R;
  const float* Bias;
  const float* P;
  const int32_t* seq_lens;
  const float* h0;
  const float* c0;
  const float* reserve;
  // Upstream gradients, each nullable (= zeros).
  const float* dY;    // [T, D, B, H]
  const float* dY_h;  // [D, B, H]
  const float* dY_c;  // [D, B, H]
  // Gradients, each nullable (= not wanted); ACCUMULATED (+=) into what is there.
  float* dX;     // [T, B, I]
  float* dW;     // [D, G*H, I]
  float* dR;     // [D, G*H, H]
  float* dBias;  // [D, 2*G*H]
  float* dP;     // [D, 3*H]
  float* dh0;    // [D, B, H]
  float* dc0;    // [D, B, H]
};

void recurrent_backward(const RecurrentDesc& desc, const RecurrentBackwardArgs& args);

}  // namespace loom
