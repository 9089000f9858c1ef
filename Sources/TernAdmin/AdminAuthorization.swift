/// Whether a mutating admin request may proceed, decided from its `Authorization` header and the configured token.
public enum AdminAuthorization: Equatable, Sendable {
    /// The bearer token matches.
    case allowed
    /// No token is configured: mutating endpoints are refused (403) whatever the request says.
    case notConfigured
    /// No `Authorization: Bearer …` header (401).
    case missingCredentials
    /// A bearer token that does not match (401).
    case wrongToken

    /// Decides for `authorization` (the header's value, if any) against `token` (the configured one, if any).
    /// The comparison takes time that depends on the lengths only, never on where the tokens differ.
    public static func decide(authorization: String?, token: String?) -> AdminAuthorization {
        guard let token, !token.isEmpty else { return .notConfigured }
        guard let authorization else { return .missingCredentials }
        let trimmed = authorization.drop { $0 == " " }
        guard trimmed.count > 7, trimmed.prefix(7).lowercased() == "bearer " else { return .missingCredentials }
        let presented = trimmed.dropFirst(7).drop { $0 == " " }
        return constantTimeEqual(Array(presented.utf8), Array(token.utf8)) ? .allowed : .wrongToken
    }

    /// Byte equality in time that depends only on the longer length.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt64(a.count ^ b.count)
        for index in 0..<max(a.count, b.count) {
            let x = index < a.count ? a[index] : 0
            let y = index < b.count ? b[index] : 0
            difference |= UInt64(x ^ y)
        }
        return difference == 0
    }
}
