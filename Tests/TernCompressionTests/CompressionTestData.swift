import NIOCore

/// Deterministic test inputs (SplitMix64), so failures reproduce.
struct TestRandom: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { self.state = seed }
    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum CompressionTestData {
    static let allocator = ByteBufferAllocator()

    /// `count` incompressible bytes.
    static func random(_ count: Int, seed: UInt64 = 1) -> [UInt8] {
        var rng = TestRandom(seed: seed)
        var bytes = [UInt8](repeating: 0, count: count)
        var index = 0
        while index < count {
            var word = rng.next()
            for _ in 0..<8 where index < count {
                bytes[index] = UInt8(truncatingIfNeeded: word)
                word >>= 8
                index += 1
            }
        }
        return bytes
    }

    /// `count` bytes of JavaScript-like text: identifiers, keywords, punctuation, numbers.
    static func text(_ count: Int, seed: UInt64 = 2) -> [UInt8] {
        let words = [
            "function", "return", "const", "let", "var", "this", "if", "else", "for", "while", "new", "typeof",
            "undefined", "null", "true", "false", "document", "window", "element", "addEventListener", "length",
            "prototype", "value", "options", "callback", "render", "state", "props", "index", "result", "error",
            "Promise", "async", "await", "module", "exports", "require", "default", "import", "from", "class",
        ]
        let punctuation = [" = ", "(", ") {\n  ", "}\n", "; ", ".", ", ", " === ", " => ", "[", "]", " + ", "\n"]
        var rng = TestRandom(seed: seed)
        var out: [UInt8] = []
        out.reserveCapacity(count + 32)
        while out.count < count {
            out.append(contentsOf: words[Int(rng.next() % UInt64(words.count))].utf8)
            out.append(contentsOf: punctuation[Int(rng.next() % UInt64(punctuation.count))].utf8)
            if rng.next() % 11 == 0 { out.append(contentsOf: String(rng.next() % 10_000).utf8) }
        }
        return Array(out.prefix(count))
    }

    static func buffer(_ bytes: [UInt8]) -> ByteBuffer {
        Self.allocator.buffer(bytes: bytes)
    }

    /// Splits `bytes` into chunks of 1…`maxChunk` bytes (deterministic sizes).
    static func chunks(_ bytes: [UInt8], maxChunk: Int, seed: UInt64 = 3) -> [ByteBuffer] {
        var rng = TestRandom(seed: seed)
        var out: [ByteBuffer] = []
        var index = 0
        while index < bytes.count {
            let size = min(bytes.count - index, 1 + Int(rng.next() % UInt64(maxChunk)))
            out.append(Self.buffer(Array(bytes[index..<(index + size)])))
            index += size
        }
        return out
    }
}

extension ByteBuffer {
    var bytes: [UInt8] { Array(self.readableBytesView) }
}
