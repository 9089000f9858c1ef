/// Per-route WAF mode.
public enum WAFMode: String, Sendable, Equatable {
    /// Inspect and enforce the engine's interventions (deny, redirect).
    case on
    /// Inspect and record matches, but always let the request through.
    case detectionOnly = "detection_only"
    /// Do not run the engine at all (no thread hop, no cost).
    case off
}
