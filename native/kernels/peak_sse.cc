#include <immintrin.h>

#include "peak.h"

namespace loom::peak_sse {

// SSE has no FMA instruction: a multiply and an add are the two flops.
#define VEC __m128
#define FMA(c, a, b) _mm_add_ps(_mm_mul_ps(c, a), b)
#define SET1 _mm_set1_ps
#define ADD _mm_add_ps
#define STORE _mm_storeu_ps
#define LANES 4
#include "peak_impl.h"

float fma_loop(int64_t iterations, int64_t* flops) { return fma_loop_impl(iterations, flops); }

}  // namespace loom::peak_sse
