#include <immintrin.h>

#include "peak.h"

namespace loom::peak_avx2 {

#define VEC __m256
#define FMA(c, a, b) _mm256_fmadd_ps(c, a, b)
#define SET1 _mm256_set1_ps
#define ADD _mm256_add_ps
#define STORE _mm256_storeu_ps
#define LANES 8
#include "peak_impl.h"

float fma_loop(int64_t iterations, int64_t* flops) { return fma_loop_impl(iterations, flops); }

}  // namespace loom::peak_avx2
