#ifndef TERN_CMODSECURITY_SHIM_H
#define TERN_CMODSECURITY_SHIM_H
// The one entry point for libmodsecurity3's C API (Debian: libmodsecurity-dev).
// Safety (freeing intervention strings, transaction lifetime, threads) lives in TernWAF's Swift wrapper.
#include <modsecurity/modsecurity.h>
#include <modsecurity/rules_set.h>
#include <modsecurity/transaction.h>
#include <modsecurity/intervention.h>
#endif
