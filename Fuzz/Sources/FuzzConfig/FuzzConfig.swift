import TernConfig

/// A configuration file: any text may be refused with errors, none may crash the decoder, and the
/// errors must render (their `file:line:column` positions come from the text).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let yaml = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    do {
        _ = try ConfigLoader.parse(yaml: yaml, fileName: "fuzz.yaml", baseDirectory: "/nonexistent/tern-fuzz")
    } catch {
        precondition(!error.errors.isEmpty, "a refused configuration without an error")
        _ = error.description
    }
    return 0
}
