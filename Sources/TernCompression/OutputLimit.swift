import NIOCore

/// Counts decoded bytes against `maxOutput` (the decompression-bomb guard).
struct OutputLimit {
    let maximum: Int
    private(set) var produced = 0

    init(maximum: Int) {
        self.maximum = max(0, maximum)
    }

    /// Bytes that may still be produced.
    var remaining: Int { self.maximum - self.produced }

    /// How many bytes to ask the library for at most: one past the limit, so exceeding it is
    /// detected without producing (or copying) the rest of a bomb.
    var nextRequest: Int { self.remaining < Int.max ? self.remaining + 1 : Int.max }

    /// Records `count` more bytes; throws once the total passes `maximum`.
    mutating func consume(_ count: Int) throws {
        self.produced += count
        if self.produced > self.maximum { throw CompressionError.outputLimitExceeded(limit: self.maximum) }
    }
}

extension Optional where Wrapped == ByteBuffer {
    /// Appends `bytes`, allocating the buffer at exactly their size on first use.
    mutating func append(_ bytes: UnsafeRawBufferPointer, allocator: ByteBufferAllocator) {
        if self == nil { self = allocator.buffer(capacity: bytes.count) }
        self!.writeBytes(bytes)
    }

    /// The buffer, or an empty one when nothing was produced.
    func orEmpty(_ allocator: ByteBufferAllocator) -> ByteBuffer {
        self ?? allocator.buffer(capacity: 0)
    }
}
