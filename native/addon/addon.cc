// Module entry. Napi::Addon keeps per-environment state, so the addon loads in the main
// thread and in any number of worker_threads at once.
#include <napi.h>

#include "bindings.h"

namespace loom::addon {

class LoomAddon : public Napi::Addon<LoomAddon> {
 public:
  LoomAddon(Napi::Env env, Napi::Object exports) {
    register_backend(env, exports);
    register_elementwise(env, exports);
    register_gemm(env, exports);
    register_recurrent(env, exports);
  }
};

}  // namespace loom::addon

// The macro pastes the name into identifiers, so it takes an unqualified one.
using LoomAddon = loom::addon::LoomAddon;
NODE_API_ADDON(LoomAddon)
