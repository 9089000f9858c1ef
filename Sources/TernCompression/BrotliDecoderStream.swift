import CBrotli
import NIOCore
import TernPolicy

/// Owns one `BrotliDecoderState` (RFC 7932). Not thread-safe; freed in `deinit`.
final class BrotliDecoderStream {
    private let state: OpaquePointer
    /// The end of the brotli stream was decoded.
    private(set) var isFinished = false

    init() throws {
        guard let state = BrotliDecoderCreateInstance(nil, nil, nil) else {
            throw CompressionError.initializationFailed(.br)
        }
        self.state = state
    }

    deinit {
        BrotliDecoderDestroyInstance(self.state)
    }

    /// Decodes `input`, appending output to `output`; `limit` tracks the bytes still allowed.
    func process(
        _ input: UnsafeRawBufferPointer,
        into output: inout ByteBuffer?,
        limit: inout OutputLimit,
        allocator: ByteBufferAllocator
    ) throws {
        guard !input.isEmpty else { return }
        guard !self.isFinished else { throw CompressionError.trailingData(.br) }
        var availableIn = input.count
        var nextIn: UnsafePointer<UInt8>? = input.baseAddress?.assumingMemoryBound(to: UInt8.self)
        while true {
            var availableOut = 0
            let result = BrotliDecoderDecompressStream(self.state, &availableIn, &nextIn, &availableOut, nil, nil)
            while BrotliDecoderHasMoreOutput(self.state) != 0 {
                // Ask for at most one byte past the limit, so a bomb is caught without copying it.
                var size = limit.nextRequest
                guard let bytes = BrotliDecoderTakeOutput(self.state, &size), size > 0 else { break }
                try limit.consume(size)
                output.append(UnsafeRawBufferPointer(start: bytes, count: size), allocator: allocator)
            }
            switch result {
            case BROTLI_DECODER_RESULT_SUCCESS:
                self.isFinished = true
                if availableIn > 0 { throw CompressionError.trailingData(.br) }
                return
            case BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT:
                return
            case BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT:
                continue
            default:
                let code = BrotliDecoderGetErrorCode(self.state)
                let detail = BrotliDecoderErrorString(code).map { String(cString: $0) } ?? "error \(code.rawValue)"
                throw CompressionError.corruptInput(.br, detail: detail)
            }
        }
    }
}
