import NIOHTTP1

/// The disk tier's serialized meta record (the value in the `meta` database), format version 1.
///
/// Hand-written, length-prefixed, little-endian:
/// ```
/// u8  version (1)            u8  flags (bit 0: softPurged)   u16 reserved (0)
/// u32 status
/// u64 storedSize             bytes this entry is charged on disk (see DiskTier.entryOverhead)
/// u64 lruSequence            key of this entry in the `lru` database
/// u64 bodyChecksum           xxHash64 (seed 0) of the body
/// i64 bodyLength  i64 requestTime  i64 responseTime  i64 lastAccess
/// str primaryKey  str variantKey                     str = u32 length + UTF-8 bytes
/// u32 headerCount, then headerCount × (str name, str value)
/// u32 tagCount, then tagCount × str
/// ```
/// The full keys are stored so that a digest collision is detected (and treated as a miss).
struct EntryRecord: Sendable {
    static let version: UInt8 = 1
    static let fixedSize = 64
    static let storedSizeOffset = 8
    static let lruSequenceOffset = 16

    var meta: CacheEntryMeta
    var storedSize: Int64
    var lruSequence: UInt64
    var bodyChecksum: UInt64

    func encoded() -> [UInt8] {
        var out: [UInt8] = []
        var capacity = Self.fixedSize + 16 + self.meta.primaryKey.utf8.count + self.meta.variantKey.utf8.count
        for field in self.meta.headers {
            capacity += 8 + field.name.utf8.count + field.value.utf8.count
        }
        for tag in self.meta.tags {
            capacity += 4 + tag.utf8.count
        }
        out.reserveCapacity(capacity)
        out.append(Self.version)
        out.append(self.meta.softPurged ? 1 : 0)
        Self.append(UInt16(0), to: &out)
        Self.append(UInt32(truncatingIfNeeded: self.meta.status), to: &out)
        Self.append(UInt64(bitPattern: self.storedSize), to: &out)
        Self.append(self.lruSequence, to: &out)
        Self.append(self.bodyChecksum, to: &out)
        Self.append(UInt64(bitPattern: self.meta.bodyLength), to: &out)
        Self.append(UInt64(bitPattern: self.meta.requestTime), to: &out)
        Self.append(UInt64(bitPattern: self.meta.responseTime), to: &out)
        Self.append(UInt64(bitPattern: self.meta.lastAccess), to: &out)
        Self.append(self.meta.primaryKey, to: &out)
        Self.append(self.meta.variantKey, to: &out)
        Self.append(UInt32(self.meta.headers.count), to: &out)
        for field in self.meta.headers {
            Self.append(field.name, to: &out)
            Self.append(field.value, to: &out)
        }
        Self.append(UInt32(self.meta.tags.count), to: &out)
        for tag in self.meta.tags {
            Self.append(tag, to: &out)
        }
        return out
    }

    /// Decodes a record; nil for an unknown version or any truncation / inconsistency.
    static func decode(_ bytes: UnsafeRawBufferPointer) -> EntryRecord? {
        var reader = Reader(bytes: bytes)
        guard let version = reader.u8(), version == Self.version,
            let flags = reader.u8(), reader.u16() != nil,
            let status = reader.u32(),
            let storedSize = reader.u64(), let lruSequence = reader.u64(), let checksum = reader.u64(),
            let bodyLength = reader.u64(), let requestTime = reader.u64(),
            let responseTime = reader.u64(), let lastAccess = reader.u64(),
            let primaryKey = reader.string(), let variantKey = reader.string(),
            let headerCount = reader.u32()
        else { return nil }
        var headers = HTTPHeaders()
        headers.reserveCapacity(Int(min(headerCount, 256)))
        for _ in 0..<headerCount {
            guard let name = reader.string(), let value = reader.string() else { return nil }
            headers.add(name: name, value: value)
        }
        guard let tagCount = reader.u32() else { return nil }
        var tags: [String] = []
        for _ in 0..<tagCount {
            guard let tag = reader.string() else { return nil }
            tags.append(tag)
        }
        guard reader.atEnd else { return nil }
        let meta = CacheEntryMeta(
            primaryKey: primaryKey,
            variantKey: variantKey,
            status: Int(status),
            headers: headers,
            requestTime: Int64(bitPattern: requestTime),
            responseTime: Int64(bitPattern: responseTime),
            bodyLength: Int64(bitPattern: bodyLength),
            tags: tags,
            softPurged: flags & 1 != 0,
            lastAccess: Int64(bitPattern: lastAccess)
        )
        return EntryRecord(
            meta: meta,
            storedSize: Int64(bitPattern: storedSize),
            lruSequence: lruSequence,
            bodyChecksum: checksum
        )
    }

    /// Patches the fixed-offset u64 at `offset` of an encoded record.
    static func patch(_ value: UInt64, at offset: Int, in bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { $0.storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt64.self) }
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
    }

    private static func append(_ string: String, to out: inout [UInt8]) {
        append(UInt32(string.utf8.count), to: &out)
        out.append(contentsOf: string.utf8)
    }

    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var offset = 0

        var atEnd: Bool { self.offset == self.bytes.count }

        mutating func integer<T: FixedWidthInteger>(_: T.Type) -> T? {
            let size = MemoryLayout<T>.size
            guard self.bytes.count - self.offset >= size else { return nil }
            let value = T(littleEndian: self.bytes.loadUnaligned(fromByteOffset: self.offset, as: T.self))
            self.offset += size
            return value
        }

        mutating func u8() -> UInt8? { self.integer(UInt8.self) }
        mutating func u16() -> UInt16? { self.integer(UInt16.self) }
        mutating func u32() -> UInt32? { self.integer(UInt32.self) }
        mutating func u64() -> UInt64? { self.integer(UInt64.self) }

        mutating func string() -> String? {
            guard let length = self.u32(), self.bytes.count - self.offset >= Int(length) else { return nil }
            let slice = UnsafeRawBufferPointer(rebasing: self.bytes[self.offset..<(self.offset + Int(length))])
            self.offset += Int(length)
            return String(decoding: slice, as: UTF8.self)
        }
    }
}
