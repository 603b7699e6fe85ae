// Gate kernels built with -mavx512f -mavx512dq -mavx512bw -mavx512vl -mavx2 -mfma.
#define LOOM_GATES_NS gates_avx512
#include "gates_impl.h"
