import CZlib
import NIOCore
import TernPolicy

/// Owns one heap-allocated `z_stream` set up for the gzip wrapper (RFC 1952) by zlib's
/// `deflateInit2`/`inflateInit2` with windowBits 31. zlib keeps a pointer back to the
/// `z_stream`, so it lives at a fixed address until `deinit` ends it and frees it.
/// Not thread-safe.
final class ZlibStream {
    enum Direction {
        case deflate
        case inflate
    }

    private let stream: UnsafeMutablePointer<z_stream>
    private let direction: Direction
    /// Output staging for streaming use: produced bytes are copied out at their exact size.
    private var scratch: UnsafeMutableRawBufferPointer?
    private static let scratchSize = 32 * 1024
    /// zlib counts in `uInt`: feed at most this much per call.
    private static let maxSlice = 1 << 30

    /// inflate: the current gzip member ended; more input starts a new member (RFC 1952 §2.2).
    private(set) var memberEnded = false
    /// inflate: some input was seen.
    private(set) var sawInput = false

    /// A deflater; `sizeHint` (the whole input's length, for one-shot use) shrinks the window and
    /// hash table to fit it (``CompressionLevels/gzipParameters(inputSize:)``).
    init(deflateLevel level: Int32, sizeHint: Int? = nil) throws {
        self.direction = .deflate
        self.stream = .allocate(capacity: 1)
        self.stream.initialize(to: z_stream())
        let (windowBits, memLevel) = sizeHint.map(CompressionLevels.gzipParameters(inputSize:))
            ?? (CompressionLevels.gzipWindowBits, 8)
        guard CZlib_deflateInit2Sized(self.stream, level, windowBits, memLevel) == Z_OK else {
            self.stream.deinitialize(count: 1)
            self.stream.deallocate()
            throw CompressionError.initializationFailed(.gzip)
        }
    }

    init(inflate: Void) throws {
        self.direction = .inflate
        self.stream = .allocate(capacity: 1)
        self.stream.initialize(to: z_stream())
        guard CZlib_inflateInit2(self.stream, CompressionLevels.gzipWindowBits) == Z_OK else {
            self.stream.deinitialize(count: 1)
            self.stream.deallocate()
            throw CompressionError.initializationFailed(.gzip)
        }
    }

    deinit {
        switch self.direction {
        case .deflate: deflateEnd(self.stream)
        case .inflate: inflateEnd(self.stream)
        }
        self.stream.deinitialize(count: 1)
        self.stream.deallocate()
        self.scratch?.deallocate()
    }

    private func scratchBuffer() -> UnsafeMutableRawBufferPointer {
        if let scratch = self.scratch { return scratch }
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.scratchSize, alignment: 16)
        self.scratch = scratch
        return scratch
    }

    // MARK: deflate

    /// Streaming deflate: feeds `input` with `flush` (Z_NO_FLUSH, Z_SYNC_FLUSH or Z_FINISH) and
    /// appends the output to `output` (allocated on first output).
    func deflate(
        _ input: UnsafeRawBufferPointer,
        flush: Int32,
        into output: inout ByteBuffer?,
        allocator: ByteBufferAllocator
    ) throws {
        let scratch = self.scratchBuffer()
        var offset = 0
        repeat {
            let slice = min(input.count - offset, Self.maxSlice)
            let last = offset + slice == input.count
            self.stream.pointee.next_in = input.baseAddress.map { UnsafePointer($0.assumingMemoryBound(to: Bytef.self) + offset) }
            self.stream.pointee.avail_in = uInt(slice)
            offset += slice
            let sliceFlush = last ? flush : Z_NO_FLUSH
            while true {
                self.stream.pointee.next_out = scratch.baseAddress!.assumingMemoryBound(to: Bytef.self)
                self.stream.pointee.avail_out = uInt(scratch.count)
                let rc = CZlib.deflate(self.stream, sliceFlush)
                guard rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR else {
                    throw CompressionError.encoderFailed(.gzip)
                }
                let produced = scratch.count - Int(self.stream.pointee.avail_out)
                if produced > 0 {
                    output.append(UnsafeRawBufferPointer(rebasing: scratch[..<produced]), allocator: allocator)
                }
                if sliceFlush == Z_FINISH {
                    if rc == Z_STREAM_END { break }
                } else if self.stream.pointee.avail_out != 0 {
                    break
                }
            }
        } while offset < input.count
        self.stream.pointee.next_in = nil
    }

    /// One-shot deflate straight into a buffer of `deflateBound` bytes.
    func deflateAll(_ input: UnsafeRawBufferPointer, allocator: ByteBufferAllocator) throws -> ByteBuffer {
        let bound = Int(deflateBound(self.stream, uLong(input.count))) + 64
        var output = allocator.buffer(capacity: bound)
        var offset = 0
        repeat {
            let slice = min(input.count - offset, Self.maxSlice)
            let flush = offset + slice == input.count ? Z_FINISH : Z_NO_FLUSH
            self.stream.pointee.next_in = input.baseAddress.map { UnsafePointer($0.assumingMemoryBound(to: Bytef.self) + offset) }
            self.stream.pointee.avail_in = uInt(slice)
            offset += slice
            while true {
                var rc = Z_OK
                output.writeWithUnsafeMutableBytes(minimumWritableBytes: Self.scratchSize) { out in
                    let room = min(out.count, Self.maxSlice)
                    self.stream.pointee.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
                    self.stream.pointee.avail_out = uInt(room)
                    rc = CZlib.deflate(self.stream, flush)
                    return room - Int(self.stream.pointee.avail_out)
                }
                guard rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR else {
                    throw CompressionError.encoderFailed(.gzip)
                }
                if flush == Z_FINISH {
                    if rc == Z_STREAM_END { break }
                } else if self.stream.pointee.avail_out != 0 {
                    break
                }
            }
        } while offset < input.count
        self.stream.pointee.next_in = nil
        return output
    }

    // MARK: inflate

    /// Streaming inflate of `input`, appending to `output`; concatenated gzip members are decoded
    /// one after the other (RFC 1952 §2.2), anything else after a member is corrupt input.
    func inflate(
        _ input: UnsafeRawBufferPointer,
        into output: inout ByteBuffer?,
        limit: inout OutputLimit,
        allocator: ByteBufferAllocator
    ) throws {
        guard !input.isEmpty else { return }
        self.sawInput = true
        let scratch = self.scratchBuffer()
        var offset = 0
        while offset < input.count {
            let slice = min(input.count - offset, Self.maxSlice)
            self.stream.pointee.next_in = UnsafePointer(input.baseAddress!.assumingMemoryBound(to: Bytef.self) + offset)
            self.stream.pointee.avail_in = uInt(slice)
            offset += slice
            feeding: while true {
                if self.memberEnded {
                    guard self.stream.pointee.avail_in > 0 else { break feeding }
                    guard inflateReset(self.stream) == Z_OK else { throw CompressionError.initializationFailed(.gzip) }
                    self.memberEnded = false
                }
                // At most one byte past the limit, so a bomb is caught without inflating it.
                let room = min(scratch.count, limit.nextRequest)
                self.stream.pointee.next_out = scratch.baseAddress!.assumingMemoryBound(to: Bytef.self)
                self.stream.pointee.avail_out = uInt(room)
                let rc = CZlib.inflate(self.stream, Z_NO_FLUSH)
                let produced = room - Int(self.stream.pointee.avail_out)
                if produced > 0 {
                    try limit.consume(produced)
                    output.append(UnsafeRawBufferPointer(rebasing: scratch[..<produced]), allocator: allocator)
                }
                switch rc {
                case Z_STREAM_END:
                    self.memberEnded = true  // loop: a next member may follow in the same input
                case Z_OK:
                    // Done with this slice once all input is used and the output did not fill up.
                    if self.stream.pointee.avail_in == 0 && self.stream.pointee.avail_out != 0 { break feeding }
                case Z_BUF_ERROR:
                    // No progress possible: all input used and no output pending.
                    if self.stream.pointee.avail_in == 0 { break feeding }
                    throw CompressionError.corruptInput(.gzip, detail: "no progress")
                default:
                    let detail = self.stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(rc)"
                    throw CompressionError.corruptInput(.gzip, detail: detail)
                }
            }
        }
        self.stream.pointee.next_in = nil
    }
}
