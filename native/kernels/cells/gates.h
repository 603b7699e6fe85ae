// The element-wise half of one recurrent time step ("gate kernels"), compiled once per ISA
// (gates_sse.cc, gates_avx2.cc, gates_avx512.cc from gates_impl.h), and the cell steps
// (rnn.cc, lstm.cc, gru.cc) that pair them with the recurrent GEMMs.
// The ISA translation units include this header, so it holds declarations and plain
// structs only: an inline function or STL template instantiated there could be emitted
// with AVX-512 code and picked by the linker for every caller.
#pragma once
#include <cstdint>

namespace loom {

class PackedB;

namespace cells {

// An ONNX activation; kind is the numeric value of loom::Act.
struct ActSpec {
  int kind;
  float alpha;
  float beta;
};

// One time step of one direction. Kernels handle batch rows [b0, b1); row b of a [B, n]
// buffer starts at b * n. Gate pre-activations `pre` hold X W^T + the recurrent GEMM term;
// the kernels add `bias`, the peephole terms (LSTM) and, for GRU with linear_before_reset,
// the r.(h Rh^T + Rbh) term of the h gate.
struct GateArgs {
  int64_t H;
  int64_t j0, j1;         // forward kernels: hidden units [j0, j1) of each row (0, H: all)
  int64_t t;              // time index: row b takes part when lens == null or t < lens[b]
  const int32_t* lens;
  ActSpec f, g, h;        // ONNX f, g, h (RNN uses f only, GRU f and g)
  float clip;             // > 0: clip pre-activations to [-clip, clip]
  bool input_forget;      // LSTM: f = 1 - i
  bool lbr;               // GRU linear_before_reset
  const float* pre;       // [B, G*H]
  const float* bias;      // [G*H] Wb + Rb (GRU lbr=1: Wb only for h), nullable
  const float* p;         // LSTM peepholes [3H] (i, o, f), nullable
  const float* rbh;       // GRU lbr: recurrent bias of the h gate [H], nullable
  const float* h_in;      // [B, H] state entering the step
  const float* c_in;      // [B, H] LSTM cell state entering the step
  const float* aux;       // GRU [B, H]: lbr=0 r.h_in, lbr=1 h_in Rh^T (no bias)
  // Forward outputs.
  float* h_out;           // [B, H]; inactive rows copy h_in
  float* c_out;           // [B, H]
  float* y;               // [B, H] nullable; inactive rows get zeros
  float* aux_out;         // GRU lbr=0: r.h_in, the left operand of the h-gate GEMM
  // Backward. dh/dc come in as the gradient w.r.t. the state after the step and leave as
  // the part of the gradient w.r.t. h_in/c_in that bypasses the recurrent GEMM (inactive
  // rows pass through unchanged); the GEMM with R then adds the rest into dh.
  const float* dy;        // [B, H] dY at this step, nullable
  float* dh;
  float* dc;
  float* da;              // [B, G*H] gradient w.r.t. pre (zeros on inactive rows)
  float* daux;            // GRU: lbr=1 out, grad w.r.t. aux; lbr=0 in, grad w.r.t. r.h_in
  float* dp;              // LSTM: [3H] peephole gradient, += over rows [b0, b1); nullable
  // Bias gradient, += over rows [b0, b1), nullable: da summed per gate column [G*H], then
  // for GRU lbr=1 daux [H] (the gradient of Rbh, which r multiplies).
  float* db;
  // Per row part p: [2 * db_width] floats, its running total, then the partial that db
  // points at for one step (bias_part_begin / bias_part_end). Null: no bias gradient.
  float* db_parts;
  int64_t db_width;
};

using GateKernel = void (*)(const GateArgs& a, int64_t b0, int64_t b1);

struct GateKernels {
  GateKernel rnn_forward;
  GateKernel rnn_backward;
  GateKernel lstm_forward;
  GateKernel lstm_backward;
  GateKernel gru_reset;           // lbr=0, before the h-gate GEMM: aux_out = r.h_in
  GateKernel gru_forward;
  GateKernel gru_backward;        // z and h gates (and r when lbr=1)
  GateKernel gru_backward_reset;  // lbr=0, after daux = da_h Rh: r gate, dh += daux.r
};

// One table per ISA translation unit.
namespace gates_sse { extern const GateKernels kernels; }
namespace gates_avx2 { extern const GateKernels kernels; }
namespace gates_avx512 { extern const GateKernels kernels; }

// The table for loom::active_isa() (defined in sequence.cc).
const GateKernels& gate_kernels();

// What a cell step needs besides the per-step pointers: one direction's weights.
struct CellDir {
  int64_t B, H;
  int row_parts;          // batch split of a step over threads (fixed, so dp sums are
                          // stable); 1: one thread, the products threaded over columns
  const PackedB* rt[2];   // forward: R^T packed (GRU: [0] z,r rows, [1] h rows)
  const PackedB* r[2];    // backward: R packed, same split
  // Forward at B = 1: gemv set, and each of `unit_parts` threads owns a range of hidden
  // units (unit_range), running both the products and the gate kernel for them, one pool
  // call per step. Long sequences, and weights packed ahead (recurrent_pack):
  // rt_units[p * G + g] is part p's columns of gate g's R_g^T [H, H], packed by the part's
  // thread, which streams its panels in order and keeps them in its L2 across steps (with
  // two threads a part stays on one thread; with more, the pool's workers may swap parts
  // between steps). Short sequences otherwise: rt_units is null and the parts read their
  // rows of R (this direction's [G*H, H]) in place.
  bool gemv;
  int64_t G;
  const PackedB* const* rt_units;
  const float* R;
  int unit_parts;
  const GateKernels* k;
};

// Part p of d.row_parts, rows [b0, b1) of the batch: the products and gate kernels of a
// step for those rows. ctx carries the step's arguments.
using RowPartFn = void (*)(const void* ctx, int64_t p, int64_t b0, int64_t b1);

// Runs fn for every row part, one part per thread, in one pool call; with one part the
// products inside fn are free to use the pool themselves.
void run_row_parts(const CellDir& d, RowPartFn fn, const void* ctx);

struct UnitRange {
  int64_t j0, j1;
};
// Hidden units [j0, j1) of part p of `parts`: whole panels of packed_panel_width() units.
UnitRange unit_range(int64_t H, int parts, int64_t p);

// Forward products of a small-batch step: for rows b < B, gates g < G and units j,
//   y[b*ldy + g*H + j] = beta * y[...] + x[b*ldx : +H] . R_{gate+g}[j, :]
struct GemvJob {
  int64_t gate;
  int64_t G;
  const float* x;
  int64_t ldx;
  float beta;
  float* y;
  int64_t ldy;
};

// Splits the hidden units into d.unit_parts ranges; each part runs the jobs for its units,
// then `kernel` (a forward gate kernel) on those units of rows [0, B).
void gemv_step(const CellDir& d, const GemvJob* jobs, int njobs, GateKernel kernel,
               const GateArgs& a);

// Forward step: adds the recurrent GEMM term into `pre` (a.pre == pre), then runs the
// gate kernel. GRU with lbr=1 writes h_in Rh^T into `aux` (a.aux == aux).
void rnn_step_forward(const CellDir& d, float* pre, const GateArgs& a);
void lstm_step_forward(const CellDir& d, float* pre, const GateArgs& a);
void gru_step_forward(const CellDir& d, float* pre, float* aux, const GateArgs& a);

// A row part's bias partial for one step: zeroed, or null when a.db_parts is. The part adds
// it into its total once the step's gate kernels are done: a sum of B / parts rows, then
// one of T partials, so float32 rounding grows with T rather than with T * B / parts.
float* bias_part_begin(const GateArgs& a, int64_t p);
void bias_part_end(const GateArgs& a, int64_t p);

// Backward step: gate kernel, then dh += da R. dp_parts: LSTM [row_parts, 3H] peephole
// accumulators, or null when dP is not wanted.
void rnn_step_backward(const CellDir& d, const GateArgs& a);
void lstm_step_backward(const CellDir& d, const GateArgs& a, float* dp_parts);
void gru_step_backward(const CellDir& d, const GateArgs& a);

}  // namespace cells
}  // namespace loom
