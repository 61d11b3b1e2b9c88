{
  "targets": [
    {
      "target_name": "threadlite",
      "sources": ["native/threadlite.c"],
      "include_dirs": [
        "<!(node -p \"require('path').join(require('path').dirname(require.resolve('better-sqlite3/package.json')), 'deps', 'sqlite3')\")"
      ],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "defines": ["NAPI_VERSION=8"],
      "xcode_settings": { "OTHER_CFLAGS": ["-O2"] }
    }
  ]
}
