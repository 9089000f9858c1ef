#ifndef TERN_CZLIB_SHIM_H
#define TERN_CZLIB_SHIM_H
// The one entry point for zlib (Debian: zlib1g-dev). Safety lives in TernCompression's Swift wrapper.
// ZLIB_CONST makes `next_in` a pointer to const, so Swift sees it as UnsafePointer.
#define ZLIB_CONST
#include <zlib.h>

// deflateInit2 and inflateInit2 are macros (they pass ZLIB_VERSION and sizeof(z_stream)),
// which Swift cannot import: these inline functions stand in for them.

/// deflateInit2 with Z_DEFLATED, memLevel 8 and Z_DEFAULT_STRATEGY.
/// windowBits 31 = 15 + 16: a 32 KiB window with a gzip header and trailer (RFC 1952).
static inline int CZlib_deflateInit2(z_streamp strm, int level, int windowBits) {
    return deflateInit2(strm, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY);
}

/// deflateInit2 with a chosen window and memory level (one-shot compression of a body whose size
/// is known: a window and hash table larger than the input only cost their initialisation).
static inline int CZlib_deflateInit2Sized(z_streamp strm, int level, int windowBits, int memLevel) {
    return deflateInit2(strm, level, Z_DEFLATED, windowBits, memLevel, Z_DEFAULT_STRATEGY);
}

/// inflateInit2; windowBits 31 accepts only a gzip wrapper (RFC 1952).
static inline int CZlib_inflateInit2(z_streamp strm, int windowBits) {
    return inflateInit2(strm, windowBits);
}
#endif
