{
  "variables": {
    "cflags_common": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"]
  },
  "targets": [
    {
      "target_name": "tracer",
      "sources": ["native/addon.cc", "native/seccomp.cc", "native/syscalls.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags": ["<@(cflags_common)"],
      "cflags_cc": ["<@(cflags_common)", "-std=c++17", "-fno-exceptions"],
      "ldflags": ["-pthread"]
    },
    {
      "target_name": "instrument",
      "type": "executable",
      "sources": [
        "native/supervisor.cc",
        "native/tracer.cc",
        "native/child.cc",
        "native/ucopy.cc",
        "native/procfs.cc",
        "native/sockets.cc",
        "native/capture.cc",
        "native/writer.cc",
        "native/entered.cc",
        "native/seccomp.cc",
        "native/syscalls.cc",
        "native/prefilter.cc"
      ],
      "defines": [
        "AGENT_VERSION=\"<!(node -p \"require('./package.json').version\")\"",
        "DEV_NODE=\"<!(node -p process.execPath)\""
      ],
      "cflags": ["<@(cflags_common)"],
      "cflags_cc": ["<@(cflags_common)", "-std=c++17", "-fno-exceptions"],
      "ldflags": ["-pthread"],
      "libraries": ["-pthread"]
    }
  ]
}
