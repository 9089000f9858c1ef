import TernProxy

/// The bytes a client sends on one connection: parsed in one read and in split reads (which must
/// agree), every request head canonicalised and checked (`HTTP1Fuzzing` in TernProxy).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    HTTP1Fuzzing.parseRequests(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
