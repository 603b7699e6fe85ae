# node-gyp build: the fallback `npm install` compiles when no prebuilt binary matches, and
# what `npm run prebuild` (prebuildify) runs. Sources and flags live in native/sources.gypi,
# which CMakeLists.txt reads too.
{
  "includes": ["native/sources.gypi"],
  "target_defaults": {
    "cflags!": ["-fno-exceptions"],
    "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++20"],
    "cflags": ["<@(loomrnn_cflags)"],
    "cflags_cc": ["<@(loomrnn_cflags_cc)"],
    "defines": ["<@(loomrnn_defines)"],
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"]
  },
  "targets": [
    {
      "target_name": "loomrnn_sse",
      "type": "static_library",
      "sources": ["<@(loomrnn_sse_sources)"],
      "cflags": ["<@(loomrnn_sse_cflags)"]
    },
    {
      "target_name": "loomrnn_avx2",
      "type": "static_library",
      "sources": ["<@(loomrnn_avx2_sources)"],
      "cflags": ["<@(loomrnn_avx2_cflags)"]
    },
    {
      "target_name": "loomrnn_avx512",
      "type": "static_library",
      "sources": ["<@(loomrnn_avx512_sources)"],
      "cflags": ["<@(loomrnn_avx512_cflags)"]
    },
    {
      "target_name": "loomrnn",
      "sources": ["<@(loomrnn_sources)"],
      "dependencies": ["loomrnn_sse", "loomrnn_avx2", "loomrnn_avx512"],
      "ldflags": ["-pthread", "-Wl,--as-needed"]
    }
  ]
}
