#ifndef TERN_CBROTLI_SHIM_H
#define TERN_CBROTLI_SHIM_H
// The one entry point for libbrotlienc and libbrotlidec (Debian: libbrotli-dev).
// Safety lives in TernCompression's Swift wrapper.
#include <brotli/encode.h>
#include <brotli/decode.h>
#endif
