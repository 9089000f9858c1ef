/// xxHash64 (XXH64, Yann Collet's specification), written in Swift.
///
/// Used for body checksums (seed 0) and, with four fixed seeds, for the 16-byte digests that key the
/// disk tier. Not cryptographic: a digest collision is detected by comparing the full keys stored
/// in the record, and treated as a miss.
enum XXHash64 {
    private static let prime1: UInt64 = 0x9E37_79B1_85EB_CA87
    private static let prime2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    private static let prime3: UInt64 = 0x1656_67B1_9E37_79F9
    private static let prime4: UInt64 = 0x85EB_CA77_C2B2_AE63
    private static let prime5: UInt64 = 0x27D4_EB2F_1656_67C5

    @inline(__always)
    private static func rotl(_ x: UInt64, _ r: UInt64) -> UInt64 {
        (x << r) | (x >> (64 - r))
    }

    @inline(__always)
    private static func round(_ acc: UInt64, _ input: UInt64) -> UInt64 {
        rotl(acc &+ input &* prime2, 31) &* prime1
    }

    @inline(__always)
    private static func merge(_ acc: UInt64, _ value: UInt64) -> UInt64 {
        (acc ^ round(0, value)) &* prime1 &+ prime4
    }

    static func hash(_ bytes: UnsafeRawBufferPointer, seed: UInt64 = 0) -> UInt64 {
        let length = bytes.count
        var offset = 0
        var h: UInt64
        if length >= 32 {
            var v1 = seed &+ prime1 &+ prime2
            var v2 = seed &+ prime2
            var v3 = seed
            var v4 = seed &- prime1
            while offset + 32 <= length {
                v1 = round(v1, bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self).littleEndian)
                v2 = round(v2, bytes.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self).littleEndian)
                v3 = round(v3, bytes.loadUnaligned(fromByteOffset: offset + 16, as: UInt64.self).littleEndian)
                v4 = round(v4, bytes.loadUnaligned(fromByteOffset: offset + 24, as: UInt64.self).littleEndian)
                offset += 32
            }
            h = rotl(v1, 1) &+ rotl(v2, 7) &+ rotl(v3, 12) &+ rotl(v4, 18)
            h = merge(h, v1)
            h = merge(h, v2)
            h = merge(h, v3)
            h = merge(h, v4)
        } else {
            h = seed &+ prime5
        }
        h = h &+ UInt64(length)
        while offset + 8 <= length {
            h ^= round(0, bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self).littleEndian)
            h = rotl(h, 27) &* prime1 &+ prime4
            offset += 8
        }
        if offset + 4 <= length {
            h ^= UInt64(bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian) &* prime1
            h = rotl(h, 23) &* prime2 &+ prime3
            offset += 4
        }
        while offset < length {
            h ^= UInt64(bytes[offset]) &* prime5
            h = rotl(h, 11) &* prime1
            offset += 1
        }
        h ^= h >> 33
        h = h &* prime2
        h ^= h >> 29
        h = h &* prime3
        h ^= h >> 32
        return h
    }

    static func hash(_ bytes: some Sequence<UInt8>, seed: UInt64 = 0) -> UInt64 {
        if let result = bytes.withContiguousStorageIfAvailable({ hash(UnsafeRawBufferPointer($0), seed: seed) }) {
            return result
        }
        return Array(bytes).withUnsafeBytes { hash($0, seed: seed) }
    }
}

/// A 16-byte key for the disk tier: two independent 64-bit xxHash64 values (different seeds).
/// LMDB keys must stay under 512 bytes; URLs do not.
struct Digest: Hashable, Sendable {
    var high: UInt64
    var low: UInt64

    static let size = 16

    private static let variantSeeds: (UInt64, UInt64) = (0x7465_726E_5641_5231, 0x5374_6F72_6167_6521)
    private static let primarySeeds: (UInt64, UInt64) = (0x7465_726E_5052_4931, 0x4B65_7944_6967_6573)

    /// The digest of one variant: hashes of `u32le(len(primaryKey)) ‖ primaryKey ‖ variantKey`.
    static func variant(primaryKey: String, variantKey: String) -> Digest {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(4 + primaryKey.utf8.count + variantKey.utf8.count)
        let length = UInt32(truncatingIfNeeded: primaryKey.utf8.count)
        withUnsafeBytes(of: length.littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: primaryKey.utf8)
        bytes.append(contentsOf: variantKey.utf8)
        return bytes.withUnsafeBytes {
            Digest(high: XXHash64.hash($0, seed: variantSeeds.0), low: XXHash64.hash($0, seed: variantSeeds.1))
        }
    }

    /// The digest of a primary key (the `primary` index key).
    static func primary(_ primaryKey: String) -> Digest {
        var key = primaryKey
        return key.withUTF8 {
            let raw = UnsafeRawBufferPointer($0)
            return Digest(high: XXHash64.hash(raw, seed: primarySeeds.0), low: XXHash64.hash(raw, seed: primarySeeds.1))
        }
    }

    /// Big-endian bytes (so LMDB's byte order equals numeric order).
    var bytes: [UInt8] {
        var result = [UInt8](repeating: 0, count: 16)
        result.withUnsafeMutableBytes {
            $0.storeBytes(of: self.high.bigEndian, toByteOffset: 0, as: UInt64.self)
            $0.storeBytes(of: self.low.bigEndian, toByteOffset: 8, as: UInt64.self)
        }
        return result
    }

    init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    init?(_ raw: UnsafeRawBufferPointer) {
        guard raw.count == 16 else { return nil }
        self.high = UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        self.low = UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
    }
}
