#include <immintrin.h>

#include "peak.h"

namespace loom::peak_avx512 {

#define VEC __m512
#define FMA(c, a, b) _mm512_fmadd_ps(c, a, b)
#define SET1 _mm512_set1_ps
#define ADD _mm512_add_ps
#define STORE _mm512_storeu_ps
#define LANES 16
#include "peak_impl.h"

float fma_loop(int64_t iterations, int64_t* flops) { return fma_loop_impl(iterations, flops); }

}  // namespace loom::peak_avx512
