#include "isa.h"

#include <cstdlib>
#include <cstring>

#include "../kernels/error.h"

namespace loom {
namespace {

// __builtin_cpu_supports also checks that the OS saves the wider registers (XGETBV), so a
// kernel with AVX-512 disabled by the hypervisor reports AVX2.
Isa detect() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("fma")) {
    return Isa::AVX512;
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::AVX2;
  if (__builtin_cpu_supports("sse4.2")) return Isa::SSE;
  throw Error("EUNSUPPORTED", "loomrnn needs a CPU with at least SSE4.2");
}

Isa choose() {
  const Isa best = cpu_isa();
  const char* forced = std::getenv("LOOMRNN_ISA");
  if (forced == nullptr || *forced == '\0') return best;
  Isa want;
  if (std::strcmp(forced, "sse") == 0) {
    want = Isa::SSE;
  } else if (std::strcmp(forced, "avx2") == 0) {
    want = Isa::AVX2;
  } else if (std::strcmp(forced, "avx512") == 0) {
    want = Isa::AVX512;
  } else {
    throw Error("EINVAL", std::string("LOOMRNN_ISA must be sse, avx2 or avx512, got '") +
                              forced + "'");
  }
  // Forcing can only lower the level: a higher one would fault on this CPU.
  return static_cast<int>(want) < static_cast<int>(best) ? want : best;
}

}  // namespace

Isa cpu_isa() {
  static const Isa isa = detect();
  return isa;
}

Isa active_isa() {
  static const Isa isa = choose();
  return isa;
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::AVX512: return "avx512";
    case Isa::AVX2: return "avx2";
    case Isa::SSE: return "sse";
  }
  return "unknown";
}

}  // namespace loom
