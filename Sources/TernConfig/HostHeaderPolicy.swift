/// The `Host` header sent upstream (key `host_header`; RFC 9110 §7.2).
public enum HostHeaderPolicy: Sendable, Equatable {
    /// Forward the client's `Host` unchanged (`preserve`, the default).
    case preserve
    /// Use the member URL's authority (`origin`), e.g. `app.internal:8080`.
    case origin
    /// Always send this value (any other string).
    case fixed(String)
}
