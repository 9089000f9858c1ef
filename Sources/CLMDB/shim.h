#ifndef TERN_CLMDB_SHIM_H
#define TERN_CLMDB_SHIM_H
// The one entry point for liblmdb (Debian: liblmdb-dev). Safety lives in TernStorage's Swift wrapper.
#include <lmdb.h>
#endif
