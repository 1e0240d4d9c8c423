{
  "targets": [
    {
      "target_name": "sendfile",
      "conditions": [
        ["OS=='linux'", {
          "sources": ["src/sendfile.c"],
          "cflags": ["-Wall", "-Wextra", "-O2"],
          "defines": ["NAPI_VERSION=8", "_FILE_OFFSET_BITS=64"]
        }, {
          "type": "none"
        }]
      ]
    }
  ]
}
