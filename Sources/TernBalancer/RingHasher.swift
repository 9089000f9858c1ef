/// A streaming 64-bit hash: FNV-1a 64 over the bytes, then MurmurHash3's `fmix64` finalizer.
///
/// FNV-1a alone is fast and stable across platforms and releases (unlike Swift's seeded
/// `Hasher`), but short inputs that differ only in their last byte — `"10.0.0.1#1"` and
/// `"10.0.0.1#2"` — land close together in the high bits, which would clump ring points.
/// The finalizer spreads every input bit over all 64 output bits.
struct RingHasher: Sendable {
    static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
    static let prime: UInt64 = 0x0000_0100_0000_01b3

    private var state: UInt64 = RingHasher.offsetBasis

    init() {}

    /// Mixes one byte into the state.
    @inline(__always)
    mutating func combine(_ byte: UInt8) {
        self.state = (self.state ^ UInt64(byte)) &* RingHasher.prime
    }

    /// Mixes every byte of `bytes` into the state.
    mutating func combine(contentsOf bytes: some Collection<UInt8>) {
        let handled: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            for byte in buffer { self.combine(byte) }
        }
        if handled == nil {
            for byte in bytes { self.combine(byte) }
        }
    }

    /// Mixes the four little-endian bytes of `value` into the state.
    mutating func combine(littleEndian value: UInt32) {
        var remaining = value
        for _ in 0..<4 {
            self.combine(UInt8(truncatingIfNeeded: remaining))
            remaining >>= 8
        }
    }

    /// The finalized hash.
    func finalize() -> UInt64 {
        var k = self.state
        k ^= k >> 33
        k = k &* 0xff51_afd7_ed55_8ccd
        k ^= k >> 33
        k = k &* 0xc4ce_b9fe_1a85_ec53
        k ^= k >> 33
        return k
    }
}
