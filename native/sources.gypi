{
  "variables": {
    "loomrnn_sources": [
      "native/addon/addon.cc",
      "native/addon/backend.cc",
      "native/addon/elementwise.cc",
      "native/addon/gemm.cc",
      "native/addon/recurrent.cc",
      "native/cpu/isa.cc",
      "native/cpu/threads.cc",
      "native/kernels/elementwise.cc",
      "native/kernels/gemm/gemm.cc",
      "native/kernels/peak.cc",
      "native/kernels/reductions.cc",
      "native/kernels/sequence.cc",
      "native/kernels/cells/rnn.cc",
      "native/kernels/cells/lstm.cc",
      "native/kernels/cells/gru.cc",
      "native/kernels/cells/step_parts.cc"
    ],
    "loomrnn_sse_sources": [
      "native/kernels/gemm/microkernel_sse.cc",
      "native/kernels/cells/gates_sse.cc",
      "native/kernels/peak_sse.cc"
    ],
    "loomrnn_avx2_sources": [
      "native/kernels/gemm/microkernel_avx2.cc",
      "native/kernels/cells/gates_avx2.cc",
      "native/kernels/peak_avx2.cc"
    ],
    "loomrnn_avx512_sources": [
      "native/kernels/gemm/microkernel_avx512.cc",
      "native/kernels/cells/gates_avx512.cc",
      "native/kernels/peak_avx512.cc"
    ],
    "loomrnn_cflags": ["-O3", "-fPIC", "-fvisibility=hidden", "-fno-math-errno", "-Wall", "-Wextra", "-Wno-unused-parameter"],
    "loomrnn_cflags_cc": ["-std=c++17", "-fexceptions"],
    "loomrnn_sse_cflags": ["-msse4.2"],
    "loomrnn_avx2_cflags": ["-mavx2", "-mfma"],
    "loomrnn_avx512_cflags": ["-mavx512f", "-mavx512dq", "-mavx512bw", "-mavx512vl", "-mavx2", "-mfma"],
    "loomrnn_defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"]
  }
}
