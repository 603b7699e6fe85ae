// Instruction-set levels compiled into the one binary, and the choice made at load time.
#pragma once

namespace loom {

// Ordered: a higher level implies every lower one.
enum class Isa : int { SSE = 0, AVX2 = 1, AVX512 = 2 };

// The level kernels dispatch to: the best the CPU supports, lowered (never raised) by the
// environment variable LOOMRNN_ISA=sse|avx2|avx512. Decided once, on first call.
Isa active_isa();

// What the CPU itself supports, ignoring LOOMRNN_ISA.
Isa cpu_isa();

const char* isa_name(Isa isa);

}  // namespace loom
