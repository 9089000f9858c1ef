import CBrotli
import NIOCore
import TernPolicy

/// Owns one `BrotliEncoderState` (RFC 7932). Not thread-safe; freed in `deinit`.
///
/// Output is taken with `BrotliEncoderTakeOutput`, so every returned buffer is allocated at the
/// exact size produced (an `encode` that only fills the encoder's window allocates nothing).
final class BrotliEncoderStream {
    private let state: OpaquePointer

    init(quality: Int32, windowBits: Int32) throws {
        guard let state = BrotliEncoderCreateInstance(nil, nil, nil) else {
            throw CompressionError.initializationFailed(.br)
        }
        self.state = state
        guard BrotliEncoderSetParameter(state, BROTLI_PARAM_QUALITY, UInt32(quality)) != 0,
              BrotliEncoderSetParameter(state, BROTLI_PARAM_LGWIN, UInt32(windowBits)) != 0,
              BrotliEncoderSetParameter(state, BROTLI_PARAM_MODE, UInt32(BROTLI_MODE_GENERIC.rawValue)) != 0
        else {
            throw CompressionError.initializationFailed(.br)
        }
    }

    deinit {
        BrotliEncoderDestroyInstance(self.state)
    }

    /// Feeds `input` with `operation` (PROCESS, FLUSH or FINISH) and appends all output the
    /// operation makes available to `output` (allocated on first output).
    func process(
        _ input: UnsafeRawBufferPointer,
        operation: BrotliEncoderOperation,
        into output: inout ByteBuffer?,
        allocator: ByteBufferAllocator
    ) throws {
        var availableIn = input.count
        var nextIn: UnsafePointer<UInt8>? = input.baseAddress?.assumingMemoryBound(to: UInt8.self)
        while true {
            var availableOut = 0
            guard BrotliEncoderCompressStream(self.state, operation, &availableIn, &nextIn, &availableOut, nil, nil) != 0 else {
                throw CompressionError.encoderFailed(.br)
            }
            var hadOutput = false
            while BrotliEncoderHasMoreOutput(self.state) != 0 {
                var size = 0
                guard let bytes = BrotliEncoderTakeOutput(self.state, &size), size > 0 else { break }
                hadOutput = true
                output.append(UnsafeRawBufferPointer(start: bytes, count: size), allocator: allocator)
            }
            let done: Bool
            switch operation {
            case BROTLI_OPERATION_FINISH: done = BrotliEncoderIsFinished(self.state) != 0
            case BROTLI_OPERATION_FLUSH: done = availableIn == 0 && !hadOutput
            default: done = availableIn == 0
            }
            if done { return }
        }
    }

    /// One-shot compression into a buffer sized by `BrotliEncoderMaxCompressedSize`
    /// (`BrotliEncoderCompress` falls back to stored meta-blocks, so the bound always holds).
    static func compress(
        _ input: UnsafeRawBufferPointer,
        quality: Int32,
        windowBits: Int32,
        allocator: ByteBufferAllocator
    ) throws -> ByteBuffer {
        let bound = max(BrotliEncoderMaxCompressedSize(input.count), 64)
        guard bound >= input.count else { throw CompressionError.encoderFailed(.br) }  // size_t overflow → 0
        var output = allocator.buffer(capacity: bound)
        var ok: Int32 = 0
        output.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { out in
            var encodedSize = out.count
            ok = BrotliEncoderCompress(
                quality, windowBits, BROTLI_MODE_GENERIC,
                input.count, input.baseAddress?.assumingMemoryBound(to: UInt8.self),
                &encodedSize, out.baseAddress?.assumingMemoryBound(to: UInt8.self)
            )
            return ok != 0 ? encodedSize : 0
        }
        guard ok != 0 else { throw CompressionError.encoderFailed(.br) }
        return output
    }
}
