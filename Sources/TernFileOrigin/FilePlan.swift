import NIOCore
import NIOHTTP1

/// A planned response for one request to a ``FileOrigin``: status, complete header fields, and
/// the body as a list of in-memory blobs and file slices for the caller to stream in order.
public struct FilePlan: Sendable {
    /// The response status.
    public var status: HTTPResponseStatus
    /// The response header fields: `Content-Type`, `Content-Length`, `ETag`, `Last-Modified`,
    /// `Cache-Control`, `Accept-Ranges: bytes`, `Date`, `Content-Range`, `Allow`, `Location`,
    /// `Content-Encoding` (a precompressed sibling), `Vary` as appropriate. For HEAD they are
    /// those a GET would get.
    public var headers: HTTPHeaders
    /// The resolved real path of the selected file, set for 200 and 206 (GET and HEAD); open it
    /// when ``body`` has `.file` segments. For an encoded variant it is the sibling (`….br`,
    /// `….gz`), and the `.file` slices are offsets into the sibling's bytes.
    public var filePath: String?
    /// The body, in order. Empty for HEAD, 304, 412 and empty files; whatever it holds adds up
    /// to `Content-Length` exactly.
    public var body: [Segment]

    /// One piece of a response body.
    public enum Segment: Sendable {
        /// Bytes held in memory (error text, multipart delimiters).
        case bytes(ByteBuffer)
        /// `length` bytes of ``FilePlan/filePath`` starting at `offset`.
        case file(offset: Int64, length: Int64)
    }

    /// Creates a plan.
    public init(status: HTTPResponseStatus, headers: HTTPHeaders, filePath: String? = nil, body: [Segment] = []) {
        self.status = status
        self.headers = headers
        self.filePath = filePath
        self.body = body
    }

    /// The number of body bytes the segments add up to.
    public var bodyLength: Int64 {
        self.body.reduce(0) { total, segment in
            switch segment {
            case .bytes(let buffer): return total + Int64(buffer.readableBytes)
            case .file(_, let length): return total + length
            }
        }
    }
}
