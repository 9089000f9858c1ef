import ArgumentParser
import TernStorage

/// `tern cache …`: offline tools for the disk tier.
struct Cache: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Offline tools for the disk cache.",
        subcommands: [CacheCheck.self]
    )
}

/// `tern cache check DIR`: reads every stored body and verifies its length and checksum.
struct CacheCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Verify every stored body of a disk cache directory against its checksum (read-only).",
        discussion: """
            Opens the store read-only while no server uses it (stop the server, or check a copy). \
            Exit status: 0 when everything is intact, 1 when problems were found, 2 when the store \
            cannot be read (damaged, in use, not a disk cache).
            """
    )

    @Argument(help: "The disk cache directory (cache.disk.path).")
    var directory: String

    func run() throws {
        let report: DiskCheckReport
        do {
            report = try DiskTier.check(directory: self.directory)
        } catch {
            print("tern cache check: \(error)")
            throw ExitCode(2)
        }
        print("disk cache \(self.directory)")
        print(report.summary)
        if !report.isClean { throw ExitCode(1) }
    }
}
