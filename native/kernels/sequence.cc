// Whole-sequence RNN / LSTM / GRU (sequence.h): validation, reserve layout and the time
// loops. A layer is a loop over time around one cell step (cells/*.cc); the cell step is one
// packed recurrent GEMM plus one fused gate kernel (cells/gates_impl.h, per ISA), split over
// threads by batch rows so that each thread runs both for its rows in one pool call per step
// (cells/step_parts.cc). At B = 1 the forward step is a GEMV instead, split over hidden
// units: for long sequences (and weights packed ahead by recurrent_pack) each gate's R_g^T is
// packed into panels that each thread streams in order for its units, keeping its slice in
// its own L2 (23-25% faster at T = 100 than dot products over R's rows in place, which
// short sequences packed per call still use).
//
// Forward, per direction: the input projection X W^T is one sgemm per run of about
// kProjectionRows rows (all T steps when T * B fits) ahead of the steps that read it, so the
// result is still in cache (measured faster than one sgemm over all T at B = 64); the gate
// kernels add the biases as they read it, which saved a prefill pass over the projection
// (+10% inference at B = 64). R^T is packed once; each step adds h R^T into the projection
// in place. Training with checkpoint_every = 0 projects straight into the reserve, so what
// the steps leave there plus the states entering each step is all backward needs: it
// recomputes the activations from the pre-activations, which is exact for every activation
// and clip and costs little next to the GEMMs.
//
// Reserve, per direction d (floats, contiguous, direction 0 first), BH = B*H, GH = G*H:
//   k = 0:  pre [T, B, GH] | hprev [T, B, H] | cprev [T, B, H] (LSTM) | aux [T, B, H] (GRU)
//           pre: X W^T + hprev R^T (the GEMM part of the gate pre-activations); hprev/cprev:
//           state entering step t; aux: GRU lbr=0 r.hprev, lbr=1 hprev Rh^T.
//   k > 0:  ckpt_h [S, B, H] | ckpt_c [S, B, H] (LSTM), S = ceil(T / k): the state entering
//           processing steps 0, k, 2k, ...; backward re-runs each segment's forward into a
//           k-step workspace of the k = 0 layout.
// Backward walks segments (one for k = 0) in reverse; per step the gate-backward kernel,
// which also sums dA into the bias gradient while dA is in cache, and dh += dA R; per
// segment dW += dA^T X, dR += dA^T hprev and dX += dA W, as GEMMs over all of the
// segment's steps.
#include "sequence.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "../cpu/isa.h"
#include "../cpu/threads.h"
#include "cells/gates.h"
#include "error.h"
#include "gemm/gemm.h"

namespace loom {

namespace cells {

const GateKernels& gate_kernels() {
  switch (active_isa()) {
    case Isa::AVX512: return gates_avx512::kernels;
    case Isa::AVX2: return gates_avx2::kernels;
    case Isa::SSE: break;
  }
  return gates_sse::kernels;
}

}  // namespace cells

namespace {

using cells::CellDir;
using cells::GateArgs;

// Rows of the input projection done per sgemm: big enough for full GEMM speed, small enough
// that the steps read it from cache. At B = 64, H = 256, 512 rows beat 2048 by 7% in
// inference and 3% in training, and one sgemm over all T by more; with W^T packed once per
// call rather than by every sgemm, 256 rows beat 512 by 1-3% at H = 256 and 512 (128: no
// better at H = 512, 4% worse at H = 256).
constexpr int64_t kProjectionRows = 256;
// Below this many gate elements per step a second thread costs more than the kernel.
constexpr int64_t kParallelGateElems = 16 * 1024;
// Up to this batch the forward step runs as GEMVs (cells::gemv_step); above it the GEMM
// micro-kernels serve more rows per load of R^T.
constexpr int64_t kGemvMaxBatch = 1;
// From this many steps on, the GEMV steps read each gate's R_g^T packed once per sequence;
// shorter sequences read R's rows in place, which costs no packing (measured at B = 1,
// H = 256 / 512: packing wins at T = 100 by 25%, breaks even near T = 32, and loses 2x at
// T = 8 and up to 10x at T = 1).
constexpr int64_t kPackedGemvMinSteps = 32;
// Below this many multiply-adds per step the GEMV step runs on one thread.
constexpr int64_t kParallelGemvFma = 32 * 1024;

[[noreturn]] void fail(const std::string& msg) { throw Error("EINVAL", "recurrent: " + msg); }

const char* act_slot_name(int i) { return i == 0 ? "f" : i == 1 ? "g" : "h"; }

int act_count(Cell c) { return c == Cell::LSTM ? 3 : c == Cell::GRU ? 2 : 1; }

void validate(const RecurrentDesc& desc) {
  const int cell = static_cast<int>(desc.cell);
  if (cell < 0 || cell > 2) fail("desc.cell must be RNN, LSTM or GRU, got " + std::to_string(cell));
  const int dir = static_cast<int>(desc.direction);
  if (dir < 0 || dir > 2)
    fail("desc.direction must be forward, reverse or bidirectional, got " + std::to_string(dir));
  const struct { const char* name; int64_t v; } dims[] = {
      {"T", desc.T}, {"B", desc.B}, {"I", desc.I}, {"H", desc.H}};
  for (const auto& dim : dims) {
    if (dim.v < 1)
      fail(std::string("desc.") + dim.name + " must be >= 1, got " + std::to_string(dim.v));
  }
  // Keep every buffer's element count far from int64 overflow.
  const double G = gate_count(desc.cell);
  const double biggest = double(desc.T) * double(desc.B) *
                         std::max({double(desc.I), G * double(desc.H), double(desc.H)}) * 2.0;
  const double gates = G * double(desc.H) * std::max(double(desc.H), double(desc.I)) * 2.0;
  if (biggest > 9.0e15 || gates > 9.0e15)
    fail("sizes T=" + std::to_string(desc.T) + " B=" + std::to_string(desc.B) + " I=" +
         std::to_string(desc.I) + " H=" + std::to_string(desc.H) + " are too large");
  for (int d = 0; d < num_directions(desc); ++d) {
    for (int i = 0; i < act_count(desc.cell); ++i) {
      const Activation& a = desc.act[d][i];
      const int kind = static_cast<int>(a.kind);
      const std::string where = "desc.act[" + std::to_string(d) + "][" + std::to_string(i) +
                                "] (" + act_slot_name(i) + ")";
      if (kind < 0 || kind > static_cast<int>(Act::Softplus))
        fail(where + ".kind is not an activation: " + std::to_string(kind));
      if (!std::isfinite(a.alpha) || !std::isfinite(a.beta))
        fail(where + " alpha/beta must be finite, got " + std::to_string(a.alpha) + "/" +
             std::to_string(a.beta));
    }
  }
  if (std::isnan(desc.clip)) fail("desc.clip must be a number, got NaN");
  if (desc.checkpoint_every < 0)
    fail("desc.checkpoint_every must be >= 0, got " + std::to_string(desc.checkpoint_every));
}

void validate_lens(const RecurrentDesc& desc, const int32_t* lens) {
  if (!lens) return;
  for (int64_t b = 0; b < desc.B; ++b) {
    if (lens[b] < 0 || lens[b] > desc.T)
      fail("seq_lens[" + std::to_string(b) + "] = " + std::to_string(lens[b]) +
           " is outside [0, T=" + std::to_string(desc.T) + "]");
  }
}

void require(const void* p, const char* name) {
  if (!p) fail(std::string(name) + " must not be null");
}

int64_t checkpoints(const RecurrentDesc& desc) {
  const int64_t k = desc.checkpoint_every;
  return (desc.T + k - 1) / k;
}

// Floats of one direction's part of the reserve.
size_t reserve_per_direction(const RecurrentDesc& desc) {
  const int64_t T = desc.T, B = desc.B, H = desc.H, GH = gate_count(desc.cell) * H;
  if (desc.checkpoint_every > 0)
    return static_cast<size_t>(checkpoints(desc) * B * H * (desc.cell == Cell::LSTM ? 2 : 1));
  const int64_t extra = desc.cell == Cell::RNN ? 0 : 1;  // cprev (LSTM) or aux (GRU)
  return static_cast<size_t>(T * B * (GH + H + extra * H));
}

// Uninitialized floats handed out in named parts.
class Arena {
 public:
  explicit Arena(size_t n) : buf_(new float[n > 0 ? n : 1]), size_(n) {}
  float* take(size_t n) {
    float* p = buf_.get() + used_;
    used_ += n;
    if (used_ > size_) throw Error("EINTERNAL", "recurrent: workspace layout overflow");
    return p;
  }

 private:
  std::unique_ptr<float[]> buf_;
  size_t size_;
  size_t used_ = 0;
};

void copy(float* dst, const float* src, int64_t n) {
  if (dst != src) std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
}

struct FreeFloats {
  void operator()(float* p) const { std::free(p); }
};

// How the forward steps read R, and so how it is packed.
struct PackConfig {
  bool gemv;   // one-vector steps (cells::gemv_step) rather than GEMMs
  bool units;  // gemv steps over per-part packed R_g^T rather than R's rows in place
  int parts;   // unit parts of a gemv step
  bool wt;     // W^T packed for the projection too
};

// Time steps per projection sgemm.
int64_t projection_steps(const RecurrentDesc& desc) {
  return std::max<int64_t>(1, std::min(desc.T, kProjectionRows / desc.B));
}

PackConfig pack_config(const RecurrentDesc& desc, bool prepacked) {
  const int64_t GH = gate_count(desc.cell) * desc.H;
  PackConfig c{};
  c.gemv = desc.B <= kGemvMaxBatch;
  // Weights packed ahead serve any T: the packing that short sequences avoid is paid once.
  c.units = c.gemv && (prepacked || desc.T >= kPackedGemvMinSteps);
  c.parts = desc.B * GH * desc.H >= kParallelGemvFma ? num_threads() : 1;
  // W^T once per call when more than one sgemm would pack it (several projection runs, or
  // checkpointed segments recomputed in backward); one run packs it inside its sgemm, over
  // both threads.
  const int64_t k = desc.checkpoint_every;
  c.wt = prepacked || desc.T > projection_steps(desc) || (k > 0 && k < desc.T);
  return c;
}

enum class PackKind { Wt, Rt, Unit };

// One packed matrix of a direction: op(B) = (its W or R rows from `src`)^T, K x N, at `at`
// floats into the direction's block; `slot` is its rt index or part * G + gate.
struct PackEntry {
  PackKind kind;
  int64_t slot, part, K, N, src, at;
};

struct PackPlan {
  std::vector<PackEntry> entries;
  int64_t floats = 0;  // per direction, each entry starting on 64 bytes
};

PackPlan forward_plan(const RecurrentDesc& desc, const PackConfig& c) {
  const int64_t H = desc.H, G = gate_count(desc.cell), GH = G * H;
  PackPlan plan;
  auto add = [&](PackKind kind, int64_t slot, int64_t part, int64_t K, int64_t N, int64_t src) {
    plan.entries.push_back({kind, slot, part, K, N, src, plan.floats});
    plan.floats += (PackedB::floats(K, N) + 15) / 16 * 16;
  };
  if (c.wt) add(PackKind::Wt, 0, -1, desc.I, GH, 0);
  if (c.units) {
    for (int64_t p = 0; p < c.parts; ++p) {
      const auto [j0, j1] = cells::unit_range(H, c.parts, p);
      if (j1 == j0) continue;
      for (int64_t g = 0; g < G; ++g) add(PackKind::Unit, p * G + g, p, H, j1 - j0, (g * H + j0) * H);
    }
  } else if (!c.gemv && desc.cell == Cell::GRU) {
    add(PackKind::Rt, 0, -1, H, 2 * H, 0);
    add(PackKind::Rt, 1, -1, H, H, 2 * H * H);
  } else if (!c.gemv) {
    add(PackKind::Rt, 0, -1, H, GH, 0);
  }
  return plan;
}

// Packs the plan's entries for one direction's W [GH, I] and R [GH, H] into `out`. Each unit
// part packs its own columns, on the thread that will read them every step (with two
// threads the pool keeps a repeated job's chunk p on one thread). A failure must not escape
// a pool thread: it is carried out and rethrown here.
void pack_plan(const PackPlan& plan, const PackConfig& c, const RecurrentDesc& desc,
               const float* W, const float* R, float* out) {
  auto pack = [&](const PackEntry& e) {
    const bool w = e.kind == PackKind::Wt;
    PackedB(true, e.K, e.N, (w ? W : R) + e.src, w ? desc.I : desc.H, out + e.at);
  };
  for (const PackEntry& e : plan.entries)
    if (e.kind != PackKind::Unit) pack(e);
  if (!c.units) return;
  std::exception_ptr failure;
  std::mutex failure_mutex;
  parallel_for(c.parts, 1, [&](int64_t p0, int64_t p1) {
    try {
      for (const PackEntry& e : plan.entries)
        if (e.kind == PackKind::Unit && e.part >= p0 && e.part < p1) pack(e);
    } catch (...) {
      const std::lock_guard<std::mutex> lock(failure_mutex);
      if (!failure) failure = std::current_exception();
    }
  });
  if (failure) std::rethrow_exception(failure);
}

// What a prepacked buffer starts with, so that a call under another layout fails instead
// of misreading it: this layout (PackHeader), then at kPackOffsetSlot where the panels
// start, in floats from the buffer's start (the first 64-byte boundary after the header,
// which moves if the buffer is copied elsewhere).
constexpr int64_t kPackHeaderFloats = 16;
constexpr int64_t kPackOffsetSlot = 10;
constexpr int32_t kPackMagic = 0x6b63706c;  // "lpck"
using PackHeader = std::array<int32_t, 10>;

// Parts shape the panels only when each part packs its own (c.units): batched and in-place
// steps read the same buffer under any thread count.
PackHeader pack_header(const RecurrentDesc& desc, const PackConfig& c) {
  return {kPackMagic,
          static_cast<int32_t>(active_isa()),
          static_cast<int32_t>(packed_panel_width()),
          c.gemv,
          c.units,
          c.units ? c.parts : 0,
          static_cast<int32_t>(desc.cell),
          static_cast<int32_t>(desc.H),
          static_cast<int32_t>(desc.I),
          num_directions(desc)};
}

// Floats of a prepacked buffer: the header, up to 15 floats to the next 64-byte boundary,
// then each direction's plan.
size_t pack_floats(const RecurrentDesc& desc, const PackConfig& c) {
  return static_cast<size_t>(kPackHeaderFloats + 15 +
                             num_directions(desc) * forward_plan(desc, c).floats);
}

// A prepacked buffer of `floats` floats must hold desc's layout under c.
void require_pack_floats(const RecurrentDesc& desc, const PackConfig& c, size_t floats) {
  const size_t want = pack_floats(desc, c);
  if (floats < want)
    fail("packed must hold " + std::to_string(want) + " floats for this desc, got " +
         std::to_string(floats));
}

int32_t pack_offset(const float* packed) {
  const uintptr_t p = reinterpret_cast<uintptr_t>(packed + kPackHeaderFloats);
  const uintptr_t data = (p + 63) & ~uintptr_t{63};
  return static_cast<int32_t>((data - reinterpret_cast<uintptr_t>(packed)) / sizeof(float));
}

// One direction's weights and constant step arguments.
struct Dir {
  int d = 0;
  bool reverse = false;
  const float* W = nullptr;        // [GH, I]
  const float* R = nullptr;        // [GH, H]
  std::vector<float> bias;         // [GH] Wb + Rb as the gate kernels add it; empty: no Bias
  // Forward packs (forward_plan): views into `packs`, or into the caller's prepacked buffer.
  std::unique_ptr<float, FreeFloats> packs;
  std::vector<std::unique_ptr<PackedB>> views;
  const PackedB* wt = nullptr;     // W^T for the projection; null: sgemm packs W itself
  const PackedB* rt[2] = {};       // R^T (GRU: z,r rows and h rows)
  // Unit-split steps: [part * G + g] part's columns of R_g^T (CellDir::rt_units).
  std::vector<const PackedB*> rt_units;
  std::unique_ptr<PackedB> r[2];   // backward: R, same split as rt
  CellDir cell{};
  GateArgs base{};
};

cells::ActSpec spec(const Activation& a) {
  return cells::ActSpec{static_cast<int>(a.kind), a.alpha, a.beta};
}

// c: the call's one PackConfig (the thread count may change while an async call runs);
// prepacked: the panels of a checked prepacked buffer, or null to pack here.
void init_dir(Dir& dir, const RecurrentDesc& desc, int d, const float* W, const float* R,
              const float* Bias, const float* P, const int32_t* lens, bool packs_fwd,
              bool packs_bwd, const PackConfig& c, const float* prepacked) {
  const int64_t H = desc.H, I = desc.I, GH = gate_count(desc.cell) * H;
  const bool gru = desc.cell == Cell::GRU;
  dir.d = d;
  dir.reverse = desc.direction == Direction::Reverse || d == 1;
  dir.W = W + d * GH * I;
  dir.R = R + d * GH * H;
  const float* rb = nullptr;
  if (Bias) {
    const float* wb = Bias + d * 2 * GH;
    rb = wb + GH;
    dir.bias.resize(static_cast<size_t>(GH));
    for (int64_t j = 0; j < GH; ++j) {
      // GRU lbr=1 multiplies Rbh by r, so it is added there instead (GateArgs::rbh).
      const bool keep_out = gru && desc.linear_before_reset && j >= 2 * H;
      dir.bias[j] = keep_out ? wb[j] : wb[j] + rb[j];
    }
  }
  const int threads = num_threads();
  if (packs_fwd) {
    const PackPlan plan = forward_plan(desc, c);
    const float* base = prepacked ? prepacked + d * plan.floats : nullptr;
    if (!base && plan.floats > 0) {
      float* own = static_cast<float*>(std::aligned_alloc(64, static_cast<size_t>(plan.floats) * 4));
      if (own == nullptr) throw std::bad_alloc();
      dir.packs.reset(own);
      pack_plan(plan, c, desc, dir.W, dir.R, own);
      base = own;
    }
    if (c.units) dir.rt_units.assign(static_cast<size_t>(c.parts * gate_count(desc.cell)), nullptr);
    for (const PackEntry& e : plan.entries) {
      dir.views.push_back(std::make_unique<PackedB>(e.K, e.N, base + e.at));
      const PackedB* v = dir.views.back().get();
      if (e.kind == PackKind::Wt) dir.wt = v;
      if (e.kind == PackKind::Rt) dir.rt[e.slot] = v;
      if (e.kind == PackKind::Unit) dir.rt_units[e.slot] = v;
    }
  }
  if (packs_bwd) {
    if (gru) {
      dir.r[0] = std::make_unique<PackedB>(false, 2 * H, H, dir.R, H);
      dir.r[1] = std::make_unique<PackedB>(false, H, H, dir.R + 2 * H * H, H);
    } else {
      dir.r[0] = std::make_unique<PackedB>(false, GH, H, dir.R, H);
    }
  }
  dir.cell.B = desc.B;
  dir.cell.H = H;
  dir.cell.row_parts =
      desc.B * GH >= kParallelGateElems ? static_cast<int>(std::min<int64_t>(threads, desc.B)) : 1;
  dir.cell.gemv = c.gemv;
  dir.cell.G = gate_count(desc.cell);
  dir.cell.rt_units = dir.rt_units.empty() ? nullptr : dir.rt_units.data();
  dir.cell.R = dir.R;
  dir.cell.unit_parts = c.parts;
  for (int i = 0; i < 2; ++i) {
    dir.cell.rt[i] = dir.rt[i];
    dir.cell.r[i] = dir.r[i].get();
  }
  dir.cell.k = &cells::gate_kernels();

  GateArgs& a = dir.base;
  a.H = H;
  a.j0 = 0;
  a.j1 = H;
  a.lens = lens;
  a.f = spec(desc.act[d][0]);
  a.g = spec(desc.act[d][1]);
  a.h = spec(desc.act[d][2]);
  a.clip = desc.clip > 0.0f ? desc.clip : 0.0f;
  a.input_forget = desc.cell == Cell::LSTM && desc.input_forget;
  a.lbr = gru && desc.linear_before_reset;
  a.p = desc.cell == Cell::LSTM && P ? P + d * 3 * H : nullptr;
  a.bias = dir.bias.empty() ? nullptr : dir.bias.data();
  a.rbh = a.lbr && rb ? rb + 2 * H : nullptr;
}

// Per-step storage of a run of steps, slot = t - t_lo: the k = 0 reserve layout.
struct Steps {
  int64_t t_lo = 0;
  float* pre = nullptr;    // [L, B, GH]
  float* hprev = nullptr;  // [L, B, H] or null (inference: states are not kept)
  float* cprev = nullptr;
  float* aux = nullptr;
};

// The same storage as backward reads it.
struct StepsView {
  int64_t t_lo = 0;
  const float* pre = nullptr;
  const float* hprev = nullptr;
  const float* cprev = nullptr;
  const float* aux = nullptr;
};

StepsView view(const Steps& st) { return StepsView{st.t_lo, st.pre, st.hprev, st.cprev, st.aux}; }

// The running state of one direction: h/c point at the state entering the next step.
struct State {
  const float* h = nullptr;
  const float* c = nullptr;
  float* ping_h[2] = {nullptr, nullptr};
  float* ping_c[2] = {nullptr, nullptr};
  float* aux = nullptr;  // GRU per-step aux when Steps keeps none
};

float* other(float* const ping[2], const float* cur) { return cur == ping[0] ? ping[1] : ping[0]; }

struct Outputs {
  float* Y = nullptr;       // [T, D, B, H]
  float* ckpt_h = nullptr;  // [S, B, H]
  float* ckpt_c = nullptr;
};

// Runs processing steps [p0, p1) of one direction: projection of their inputs into st.pre,
// then the cell step per time step. Processing step p is time T-1-p in reverse.
void forward_steps(const RecurrentDesc& desc, const Dir& dir, const float* X, int64_t p0,
                   int64_t p1, const Steps& st, State& s, const Outputs& out) {
  const int64_t T = desc.T, B = desc.B, I = desc.I, H = desc.H, BH = B * H;
  const int64_t GH = gate_count(desc.cell) * H, D = num_directions(desc);
  const int64_t L = p1 - p0, k = desc.checkpoint_every;
  const bool lstm = desc.cell == Cell::LSTM;

  // pre[t_first.., :] = X[t_first.., I] @ W^T over the L steps' rows
  const int64_t t_first = dir.reverse ? T - p1 : p0;
  float* proj = st.pre + (t_first - st.t_lo) * B * GH;
  if (dir.wt)
    sgemm_packed(false, L * B, GH, I, 1.0f, X + t_first * B * I, I, *dir.wt, 0.0f, proj, GH);
  else
    sgemm(false, true, L * B, GH, I, 1.0f, X + t_first * B * I, I, dir.W, I, 0.0f, proj, GH);

  for (int64_t p = p0; p < p1; ++p) {
    const int64_t t = dir.reverse ? T - 1 - p : p;
    const int64_t slot = t - st.t_lo;
    const int64_t next_slot = dir.reverse ? slot - 1 : slot + 1;
    if (out.ckpt_h && p % k == 0) {
      copy(out.ckpt_h + (p / k) * BH, s.h, BH);
      if (lstm) copy(out.ckpt_c + (p / k) * BH, s.c, BH);
    }
    float* h_out;
    float* c_out = nullptr;
    if (st.hprev) {
      float* hp = st.hprev + slot * BH;
      copy(hp, s.h, BH);
      s.h = hp;
      if (lstm) {
        float* cp = st.cprev + slot * BH;
        copy(cp, s.c, BH);
        s.c = cp;
      }
    }
    if (st.hprev && p + 1 < p1) {
      h_out = st.hprev + next_slot * BH;
      if (lstm) c_out = st.cprev + next_slot * BH;
    } else {
      h_out = other(s.ping_h, s.h);
      if (lstm) c_out = other(s.ping_c, s.c);
    }
    float* pre = st.pre + slot * B * GH;
    float* aux = st.aux ? st.aux + slot * BH : s.aux;
    GateArgs a = dir.base;
    a.t = t;
    a.pre = pre;
    a.h_in = s.h;
    a.c_in = s.c;
    a.aux = aux;
    a.h_out = h_out;
    a.c_out = c_out;
    a.y = out.Y ? out.Y + (t * D + dir.d) * BH : nullptr;
    switch (desc.cell) {
      case Cell::RNN: cells::rnn_step_forward(dir.cell, pre, a); break;
      case Cell::LSTM: cells::lstm_step_forward(dir.cell, pre, a); break;
      case Cell::GRU: cells::gru_step_forward(dir.cell, pre, aux, a); break;
    }
    s.h = h_out;
    s.c = c_out;
  }
}

std::string describe(const PackHeader& h) {
  const bool known = h[1] >= 0 && h[1] <= static_cast<int32_t>(Isa::AVX512);
  const std::string steps = !h[3]  ? "batched steps"
                            : h[4] ? "one-vector steps over " + std::to_string(h[5]) + " parts"
                                   : "one-vector steps in place";
  return std::string("isa ") + (known ? isa_name(static_cast<Isa>(h[1])) : "?") + ", panels " +
         std::to_string(h[2]) + ", " + steps + ", cell " + std::to_string(h[6]) + ", H " +
         std::to_string(h[7]) + ", I " + std::to_string(h[8]) + ", directions " +
         std::to_string(h[9]);
}

// The panels of a prepacked buffer of `floats` floats, once its header matches what desc
// needs under c, the call's config.
const float* checked_pack(const RecurrentDesc& desc, const PackConfig& c, const float* packed,
                          size_t floats) {
  require_pack_floats(desc, c, floats);
  const PackHeader need = pack_header(desc, c);
  PackHeader got{};
  std::memcpy(got.data(), packed, sizeof(got));
  if (got != need)
    fail("packed was made for " + describe(got) + "; this call needs " + describe(need) +
         ": the layout differs, pack again");
  int32_t offset = 0;
  std::memcpy(&offset, packed + kPackOffsetSlot, sizeof(offset));
  if (offset != pack_offset(packed))
    fail("packed was copied or moved since recurrent_pack wrote it (its panels start at float " +
         std::to_string(offset) + ", here they would start at " +
         std::to_string(pack_offset(packed)) + "): pack again");
  return packed + offset;
}

// Whether the two directions run on their own threads (GEMMs inside then single-threaded)
// rather than one after the other with threaded GEMMs.
bool directions_concurrent(const RecurrentDesc& desc) {
  return num_directions(desc) == 2 && num_threads() >= 2;
}

void for_directions(bool concurrent, int D, const std::function<void(int)>& fn) {
  if (concurrent) {
    parallel_for(D, 1, [&](int64_t d0, int64_t d1) {
      for (int64_t d = d0; d < d1; ++d) fn(static_cast<int>(d));
    });
  } else {
    for (int d = 0; d < D; ++d) fn(d);
  }
}

}  // namespace

std::string recurrent_pack_key(const RecurrentDesc& desc) {
  validate(desc);
  return describe(pack_header(desc, pack_config(desc, true)));
}

size_t recurrent_pack_size(const RecurrentDesc& desc) {
  validate(desc);
  return pack_floats(desc, pack_config(desc, true));
}

void recurrent_pack(const RecurrentDesc& desc, const float* W, const float* R, float* packed,
                    size_t floats) {
  validate(desc);
  require(W, "W");
  require(R, "R");
  require(packed, "packed");
  const PackConfig c = pack_config(desc, true);
  require_pack_floats(desc, c, floats);
  const PackPlan plan = forward_plan(desc, c);
  const PackHeader header = pack_header(desc, c);
  std::memcpy(packed, header.data(), sizeof(header));
  const int32_t offset = pack_offset(packed);
  std::memcpy(packed + kPackOffsetSlot, &offset, sizeof(offset));
  float* data = packed + offset;
  const int64_t H = desc.H, I = desc.I, GH = gate_count(desc.cell) * H;
  for (int d = 0; d < num_directions(desc); ++d)
    pack_plan(plan, c, desc, W + d * GH * I, R + d * GH * H, data + d * plan.floats);
}

size_t reserve_size(const RecurrentDesc& desc) {
  validate(desc);
  return reserve_per_direction(desc) * static_cast<size_t>(num_directions(desc));
}

void recurrent_forward(const RecurrentDesc& desc, const RecurrentForwardArgs& args) {
  validate(desc);
  require(args.X, "X");
  require(args.W, "W");
  require(args.R, "R");
  validate_lens(desc, args.seq_lens);
  const int D = num_directions(desc);
  const int64_t T = desc.T, B = desc.B, H = desc.H, BH = B * H;
  const int64_t GH = gate_count(desc.cell) * H, k = desc.checkpoint_every;
  const bool lstm = desc.cell == Cell::LSTM, gru = desc.cell == Cell::GRU;
  const bool training = args.reserve != nullptr;
  const bool keep_steps = training && k == 0;
  const int64_t chunk = projection_steps(desc);

  if (args.packed && training) fail("packed weights serve inference only (no reserve)");
  const PackConfig c = pack_config(desc, args.packed != nullptr);
  const float* prepacked =
      args.packed ? checked_pack(desc, c, args.packed, args.packed_floats) : nullptr;
  std::vector<Dir> dirs(static_cast<size_t>(D));
  for (int d = 0; d < D; ++d)
    init_dir(dirs[d], desc, d, args.W, args.R, args.Bias, args.P, args.seq_lens, true, false,
             c, prepacked);

  // Per direction: ping-pong states, zero initial state, GRU aux, projection chunk.
  const size_t per_dir = static_cast<size_t>(2 * BH * (lstm ? 2 : 1) + BH + (gru ? BH : 0) +
                                             (keep_steps ? 0 : chunk * B * GH));
  Arena arena(per_dir * D);
  std::vector<State> states(static_cast<size_t>(D));
  std::vector<float*> chunk_pre(static_cast<size_t>(D));
  for (int d = 0; d < D; ++d) {
    State& s = states[d];
    for (int i = 0; i < 2; ++i) s.ping_h[i] = arena.take(BH);
    if (lstm)
      for (int i = 0; i < 2; ++i) s.ping_c[i] = arena.take(BH);
    float* zeros = arena.take(BH);
    std::memset(zeros, 0, static_cast<size_t>(BH) * sizeof(float));
    s.h = args.h0 ? args.h0 + d * BH : zeros;
    s.c = lstm ? (args.c0 ? args.c0 + d * BH : zeros) : nullptr;
    if (gru) s.aux = arena.take(BH);
    chunk_pre[d] = keep_steps ? nullptr : arena.take(chunk * B * GH);
  }

  for_directions(directions_concurrent(desc), D, [&](int d) {
    const Dir& dir = dirs[d];
    State& s = states[d];
    Outputs out;
    out.Y = args.Y;
    float* res = training ? args.reserve + reserve_per_direction(desc) * d : nullptr;
    if (keep_steps) {
      Steps st;
      st.pre = res;
      st.hprev = st.pre + T * B * GH;
      if (lstm) st.cprev = st.hprev + T * BH;
      if (gru) st.aux = st.hprev + T * BH;
      for (int64_t p0 = 0; p0 < T; p0 += chunk)
        forward_steps(desc, dir, args.X, p0, std::min(T, p0 + chunk), st, s, out);
    } else {
      if (training) {
        out.ckpt_h = res;
        if (lstm) out.ckpt_c = res + checkpoints(desc) * BH;
      }
      for (int64_t p0 = 0; p0 < T; p0 += chunk) {
        const int64_t p1 = std::min(T, p0 + chunk);
        Steps st;
        st.t_lo = dir.reverse ? T - p1 : p0;
        st.pre = chunk_pre[d];
        forward_steps(desc, dir, args.X, p0, p1, st, s, out);
      }
    }
    if (args.Y_h) copy(args.Y_h + d * BH, s.h, BH);
    if (lstm && args.Y_c) copy(args.Y_c + d * BH, s.c, BH);
  });
}

namespace {

struct BackwardBuffers {
  float* dh = nullptr;        // [B, H] gradient w.r.t. the running state
  float* dc = nullptr;
  float* daux_step = nullptr; // GRU lbr=0: per-step d(r.hprev)
  float* dp_parts = nullptr;  // LSTM: [row_parts, 3H]
  float* db_parts = nullptr;  // [row_parts, 2 * db_width]: GateArgs::db_parts
  float* da = nullptr;        // [L, B, GH]
  float* daux = nullptr;      // GRU lbr=1: [L, B, H]
  Steps seg;                  // k > 0: recomputed segment, k = 0 layout
  State state;                // k > 0: recompute scratch
};

// Gradients of the weights and inputs from one segment's dA: rows = L*B starting at time t_lo.
void weight_grads(const RecurrentDesc& desc, const Dir& dir, const RecurrentBackwardArgs& args,
                  const StepsView& st, int64_t L, const float* da, const float* daux) {
  const int64_t B = desc.B, I = desc.I, H = desc.H, G = gate_count(desc.cell), GH = G * H;
  const int64_t rows = L * B, d = dir.d;
  const float* X = args.X + st.t_lo * B * I;
  if (args.dW) sgemm(true, false, GH, I, rows, 1.0f, da, GH, X, I, 1.0f, args.dW + d * GH * I, I);
  if (args.dX) sgemm(false, false, rows, I, GH, 1.0f, da, GH, dir.W, I, 1.0f,
                     args.dX + st.t_lo * B * I, I);
  if (args.dR) {
    float* dR = args.dR + d * GH * H;
    if (desc.cell == Cell::GRU) {
      sgemm(true, false, 2 * H, H, rows, 1.0f, da, GH, st.hprev, H, 1.0f, dR, H);
      if (desc.linear_before_reset)
        sgemm(true, false, H, H, rows, 1.0f, daux, H, st.hprev, H, 1.0f, dR + 2 * H * H, H);
      else
        sgemm(true, false, H, H, rows, 1.0f, da + 2 * H, GH, st.aux, H, 1.0f, dR + 2 * H * H, H);
    } else {
      sgemm(true, false, GH, H, rows, 1.0f, da, GH, st.hprev, H, 1.0f, dR, H);
    }
  }
}

// Floats of a row part's bias-gradient total: one per gate column, and for GRU lbr=1 one
// per hidden unit for Rbh (GateArgs::db).
int64_t bias_grad_width(const RecurrentDesc& desc) {
  const bool lbr = desc.cell == Cell::GRU && desc.linear_before_reset;
  return (gate_count(desc.cell) + (lbr ? 1 : 0)) * desc.H;
}

// Backward over processing steps [p0, p1) of one direction, in reverse, from st.
void backward_steps(const RecurrentDesc& desc, const Dir& dir, const RecurrentBackwardArgs& args,
                    int64_t p0, int64_t p1, const StepsView& st, const BackwardBuffers& w) {
  const int64_t T = desc.T, B = desc.B, H = desc.H, BH = B * H;
  const int64_t GH = gate_count(desc.cell) * H, D = num_directions(desc);
  const bool lbr = desc.cell == Cell::GRU && desc.linear_before_reset;
  for (int64_t p = p1 - 1; p >= p0; --p) {
    const int64_t t = dir.reverse ? T - 1 - p : p;
    const int64_t slot = t - st.t_lo;
    GateArgs a = dir.base;
    a.t = t;
    a.pre = st.pre + slot * B * GH;
    a.h_in = st.hprev + slot * BH;
    a.c_in = st.cprev ? st.cprev + slot * BH : nullptr;
    a.aux = st.aux ? st.aux + slot * BH : nullptr;
    a.dy = args.dY ? args.dY + (t * D + dir.d) * BH : nullptr;
    a.dh = w.dh;
    a.dc = w.dc;
    a.da = w.da + slot * B * GH;
    a.daux = lbr ? w.daux + slot * BH : w.daux_step;
    a.db_parts = w.db_parts;
    a.db_width = bias_grad_width(desc);
    switch (desc.cell) {
      case Cell::RNN: cells::rnn_step_backward(dir.cell, a); break;
      case Cell::LSTM: cells::lstm_step_backward(dir.cell, a, w.dp_parts); break;
      case Cell::GRU: cells::gru_step_backward(dir.cell, a); break;
    }
  }
}

}  // namespace

void recurrent_backward(const RecurrentDesc& desc, const RecurrentBackwardArgs& args) {
  validate(desc);
  require(args.X, "X");
  require(args.W, "W");
  require(args.R, "R");
  require(args.reserve, "reserve");
  validate_lens(desc, args.seq_lens);
  const int D = num_directions(desc);
  const int64_t T = desc.T, B = desc.B, H = desc.H, BH = B * H;
  const int64_t GH = gate_count(desc.cell) * H, k = desc.checkpoint_every;
  const bool lstm = desc.cell == Cell::LSTM, gru = desc.cell == Cell::GRU;
  const bool lbr = gru && desc.linear_before_reset;
  const int64_t L = k > 0 ? std::min(k, T) : T;  // steps per segment
  const int64_t S = k > 0 ? checkpoints(desc) : 1;

  const PackConfig c = pack_config(desc, false);
  std::vector<Dir> dirs(static_cast<size_t>(D));
  for (int d = 0; d < D; ++d)
    init_dir(dirs[d], desc, d, args.W, args.R, args.Bias, args.P, args.seq_lens, k > 0, true,
             c, nullptr);
  const int64_t parts = dirs[0].cell.row_parts;
  const int64_t dbw = bias_grad_width(desc);

  const size_t per_dir = static_cast<size_t>(
      BH * (lstm ? 2 : 1) + (gru ? BH : 0) + (lstm ? parts * 3 * H : 0) + parts * 2 * dbw +
      L * B * GH +
      (lbr ? L * BH : 0) +
      (k > 0 ? L * B * GH + L * BH * (1 + (lstm || gru ? 1 : 0)) + 2 * BH * (lstm ? 2 : 1) +
                   (gru ? BH : 0)
             : 0));
  Arena arena(per_dir * D);
  std::vector<BackwardBuffers> bufs(static_cast<size_t>(D));
  for (int d = 0; d < D; ++d) {
    BackwardBuffers& w = bufs[d];
    w.dh = arena.take(BH);
    if (args.dY_h) copy(w.dh, args.dY_h + d * BH, BH);
    else std::memset(w.dh, 0, static_cast<size_t>(BH) * sizeof(float));
    if (lstm) {
      w.dc = arena.take(BH);
      if (args.dY_c) copy(w.dc, args.dY_c + d * BH, BH);
      else std::memset(w.dc, 0, static_cast<size_t>(BH) * sizeof(float));
      if (args.dP) {
        w.dp_parts = arena.take(parts * 3 * H);
        std::memset(w.dp_parts, 0, static_cast<size_t>(parts * 3 * H) * sizeof(float));
      }
    }
    if (args.dBias) {
      w.db_parts = arena.take(parts * 2 * dbw);
      std::memset(w.db_parts, 0, static_cast<size_t>(parts * 2 * dbw) * sizeof(float));
    }
    if (gru) w.daux_step = arena.take(BH);
    w.da = arena.take(L * B * GH);
    if (lbr) w.daux = arena.take(L * BH);
    if (k > 0) {
      w.seg.pre = arena.take(L * B * GH);
      w.seg.hprev = arena.take(L * BH);
      if (lstm) w.seg.cprev = arena.take(L * BH);
      if (gru) w.seg.aux = arena.take(L * BH);
      for (int i = 0; i < 2; ++i) w.state.ping_h[i] = arena.take(BH);
      if (lstm)
        for (int i = 0; i < 2; ++i) w.state.ping_c[i] = arena.take(BH);
      if (gru) w.state.aux = arena.take(BH);
    }
  }

  auto reserve_steps = [&](int d) {
    const float* res = args.reserve + reserve_per_direction(desc) * d;
    StepsView st;
    st.pre = res;
    st.hprev = st.pre + T * B * GH;
    if (lstm) st.cprev = st.hprev + T * BH;
    if (gru) st.aux = st.hprev + T * BH;
    return st;
  };

  if (k == 0) {
    // Time loops of the two directions may run concurrently; the weight GEMMs, which share
    // dX, then run one direction after the other on all threads.
    for_directions(directions_concurrent(desc), D, [&](int d) {
      backward_steps(desc, dirs[d], args, 0, T, reserve_steps(d), bufs[d]);
    });
    for (int d = 0; d < D; ++d)
      weight_grads(desc, dirs[d], args, reserve_steps(d), T, bufs[d].da, bufs[d].daux);
  } else {
    for (int d = 0; d < D; ++d) {
      const Dir& dir = dirs[d];
      BackwardBuffers& w = bufs[d];
      const float* res = args.reserve + reserve_per_direction(desc) * d;
      for (int64_t j = S - 1; j >= 0; --j) {
        const int64_t p0 = j * k, p1 = std::min(T, p0 + k);
        Steps st = w.seg;
        st.t_lo = dir.reverse ? T - p1 : p0;
        State s = w.state;
        s.h = res + j * BH;
        s.c = lstm ? res + (S + j) * BH : nullptr;
        forward_steps(desc, dir, args.X, p0, p1, st, s, Outputs{});
        backward_steps(desc, dir, args, p0, p1, view(st), w);
        weight_grads(desc, dir, args, view(st), p1 - p0, w.da, w.daux);
      }
    }
  }

  for (int d = 0; d < D; ++d) {
    const BackwardBuffers& w = bufs[d];
    if (args.dh0) {
      float* dst = args.dh0 + d * BH;
      for (int64_t i = 0; i < BH; ++i) dst[i] += w.dh[i];
    }
    if (lstm && args.dc0) {
      float* dst = args.dc0 + d * BH;
      for (int64_t i = 0; i < BH; ++i) dst[i] += w.dc[i];
    }
    if (w.dp_parts) {
      float* dst = args.dP + d * 3 * H;
      for (int64_t p = 0; p < parts; ++p)
        for (int64_t j = 0; j < 3 * H; ++j) dst[j] += w.dp_parts[p * 3 * H + j];
    }
    if (w.db_parts) {
      // Wb gets every gate column; Rb the same, except GRU lbr=1's Rbh, which r multiplies.
      float* dwb = args.dBias + d * 2 * GH;
      float* drb = dwb + GH;
      for (int64_t p = 0; p < parts; ++p) {
        const float* total = w.db_parts + 2 * p * dbw;
        for (int64_t j = 0; j < GH; ++j) dwb[j] += total[j];
        for (int64_t j = 0; j < (lbr ? 2 * H : GH); ++j) drb[j] += total[j];
        for (int64_t j = 0; j < (lbr ? H : 0); ++j) drb[2 * H + j] += total[GH + j];
      }
    }
  }
}

}  // namespace loom
