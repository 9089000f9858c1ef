import NIOHTTP1
import XCTest

@testable import TernStorage

final class FormatTests: XCTestCase {
    func testXXHash64MatchesReferenceVectors() {
        XCTAssertEqual(XXHash64.hash([UInt8]()), 0xEF46_DB37_51D8_E999)
        XCTAssertEqual(XXHash64.hash(Array("abc".utf8)), 0x44BC_2CF5_AD77_0999)
        XCTAssertEqual(
            XXHash64.hash(Array("Nobody inspects the spammish repetition".utf8)),
            0xFBCE_A83C_8A37_8BF1
        )
    }

    func testRecordRoundTripsEveryField() {
        var headers = HTTPHeaders()
        headers.add(name: "Set-Cookie", value: "a=1")
        headers.add(name: "set-cookie", value: "b=2")
        headers.add(name: "X-Empty", value: "")
        let meta = CacheEntryMeta(
            primaryKey: String(repeating: "p", count: 700),
            variantKey: "accept-encoding=br",
            status: 206,
            headers: headers,
            requestTime: -5,
            responseTime: 1_700_000_000_000,
            bodyLength: 42,
            tags: ["a", "ü"],
            softPurged: true,
            lastAccess: 9
        )
        let record = EntryRecord(meta: meta, storedSize: 1234, lruSequence: 77, bodyChecksum: 0xDEAD_BEEF)
        let bytes = record.encoded()
        XCTAssertEqual(bytes.first, EntryRecord.version)
        let decoded = bytes.withUnsafeBytes { EntryRecord.decode($0) }
        XCTAssertEqual(decoded?.meta, meta)
        XCTAssertEqual(decoded?.storedSize, 1234)
        XCTAssertEqual(decoded?.lruSequence, 77)
        XCTAssertEqual(decoded?.bodyChecksum, 0xDEAD_BEEF)
        // Truncation, trailing bytes and unknown versions are rejected.
        XCTAssertNil(bytes.dropLast().withUnsafeBytes { EntryRecord.decode($0) })
        XCTAssertNil((bytes + [0]).withUnsafeBytes { EntryRecord.decode($0) })
        var future = bytes
        future[0] = 2
        XCTAssertNil(future.withUnsafeBytes { EntryRecord.decode($0) })
    }

    func testDigestsSeparateKeyBoundaries() {
        XCTAssertNotEqual(
            Digest.variant(primaryKey: "ab", variantKey: "c"),
            Digest.variant(primaryKey: "a", variantKey: "bc")
        )
        XCTAssertEqual(Digest.variant(primaryKey: "a", variantKey: ""), Digest.variant(primaryKey: "a", variantKey: ""))
        XCTAssertNotEqual(Digest.primary("a"), Digest.variant(primaryKey: "a", variantKey: ""))
        let digest = Digest.primary(String(repeating: "x", count: 5_000))
        XCTAssertEqual(digest.bytes.withUnsafeBytes { Digest($0) }, digest)
    }
}
