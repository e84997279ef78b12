{
  "targets": [
    {
      "target_name": "tracer",
      "sources": [
        "native/addon.cc", "native/tracer.cc", "native/seccomp.cc", "native/syscalls.cc", "native/prefilter.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "cflags_cc": ["-O2", "-std=c++17", "-Wall", "-Wextra", "-Wno-unused-parameter", "-fno-exceptions"],
      "ldflags": ["-pthread"]
    }
  ]
}
