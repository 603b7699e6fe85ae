// Gate kernels built with -msse4.2.
#define LOOM_GATES_NS gates_sse
#include "gates_impl.h"
