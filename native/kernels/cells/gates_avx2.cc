// Gate kernels built with -mavx2 -mfma.
#define LOOM_GATES_NS gates_avx2
#include "gates_impl.h"
