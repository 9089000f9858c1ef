import Foundation
import NIOConcurrencyHelpers

/// The part of `tern stats` that is not argument parsing: fetch, classify, render.
public enum StatsCommandLogic {
    /// Fetches `/stats` through `client` and renders it (`json`: the raw JSON, pretty-printed), with the exit code.
    /// On failure the text is the error message.
    public static func fetch(client: AdminClient, json: Bool) async -> (text: String, code: AdminExitCode) {
        let node = client.endpoint.description
        do {
            let (response, snapshot) = try await client.stats()
            guard let snapshot else {
                let report = NodeReport<StatsSnapshot>.classify(
                    node: node, status: response.status, message: response.errorMessage, value: nil
                )
                return ("\(node): \(response.status): \(response.errorMessage)", report.exitCode)
            }
            if json {
                let data = (try? StatsSnapshot.makeEncoder(pretty: true).encode(snapshot)) ?? Data()
                return (String(decoding: data, as: UTF8.self), .ok)
            }
            return (StatsText.render(snapshot, node: node), .ok)
        } catch {
            return ("\(node): \(error)", .nodeFailed)
        }
    }
}

/// Runs async work from synchronous code (a `ParsableCommand.run()` on the main thread) and waits for it.
/// Never call it from an event loop or from inside a task.
public func runBlocking<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
    let semaphore = DispatchSemaphore(value: 0)
    let box = NIOLockedValueBox<T?>(nil)
    Task.detached {
        let value = await body()
        box.withLockedValue { $0 = value }
        semaphore.signal()
    }
    semaphore.wait()
    // The detached task stored the value before signalling.
    return box.withLockedValue { $0 }!
}
