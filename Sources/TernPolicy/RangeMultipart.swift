import NIOCore

extension ByteRanges {
    /// The framing of a `multipart/byteranges` body (RFC 9110 §14.6), without the body bytes:
    /// the caller sends, for each part, ``Part/header`` then the representation's bytes for
    /// ``Part/range``, and finally ``closing``.
    ///
    /// ```
    /// CRLF "--" boundary CRLF
    /// "Content-Type: " type CRLF
    /// "Content-Range: bytes a-b/len" CRLF
    /// CRLF
    /// <bytes a...b>
    /// … (one block per range)
    /// CRLF "--" boundary "--" CRLF
    /// ```
    public struct Multipart: Sendable, Hashable {
        /// One body part: its header blob and the representation bytes that follow it.
        public struct Part: Sendable, Hashable {
            /// Delimiter and part header fields, ending with the empty line.
            public var header: ByteBuffer
            /// The representation bytes to send after ``header``.
            public var range: ClosedRange<Int64>
        }

        /// The response `Content-Type`: `multipart/byteranges; boundary=<boundary>`.
        public var contentType: String
        /// The parts, in the order given.
        public var parts: [Part]
        /// The close delimiter, sent after the last part.
        public var closing: ByteBuffer
        /// The response `Content-Length`: all part headers, part bodies and the closing.
        public var contentLength: Int64

        /// Lays out a multipart body for `ranges` of a representation of `length` bytes.
        ///
        /// - Parameters:
        ///   - ranges: satisfiable ranges, e.g. from ``ByteRanges/resolve(header:length:)``.
        ///   - length: the complete representation length (for each part's `Content-Range`).
        ///   - contentType: the representation's media type, repeated in each part.
        ///   - boundary: 1–70 characters (RFC 2046 §5.1.1) that must not occur in the body;
        ///     the caller chooses it (for example random hex), keeping this function pure.
        public init(ranges: [ClosedRange<Int64>], length: Int64, contentType: String, boundary: String) {
            self.contentType = "multipart/byteranges; boundary=\(boundary)"
            var total: Int64 = 0
            var parts: [Part] = []
            parts.reserveCapacity(ranges.count)
            for range in ranges {
                let text = "\r\n--\(boundary)\r\nContent-Type: \(contentType)\r\nContent-Range: "
                    + ByteRanges.contentRange(range, length: length) + "\r\n\r\n"
                let header = ByteBuffer(string: text)
                total += Int64(header.readableBytes) + (range.upperBound - range.lowerBound + 1)
                parts.append(Part(header: header, range: range))
            }
            let closing = ByteBuffer(string: "\r\n--\(boundary)--\r\n")
            total += Int64(closing.readableBytes)
            self.parts = parts
            self.closing = closing
            self.contentLength = total
        }
    }

    /// Lays out a `multipart/byteranges` body (RFC 9110 §14.6); see ``Multipart``.
    public static func multipart(
        ranges: [ClosedRange<Int64>],
        length: Int64,
        contentType: String,
        boundary: String
    ) -> Multipart {
        Multipart(ranges: ranges, length: length, contentType: contentType, boundary: boundary)
    }
}
