// swift-tools-version:5.4
// 5.4, not 6.0 like the main package: from tools version 5.5 on, SwiftPM links every executable
// with `--defsym main=<Module>_main` (so tests can link executables), which breaks a libFuzzer
// target: it has no `main` of its own (`-parse-as-library`; libFuzzer brings `main`), so the link
// fails with "undefined symbol 'FuzzRequest_main'". 5.4 is the first version with `executableTarget`.
import PackageDescription

// libFuzzer targets for Tern (Linux; Docs/fuzzing.md). A package of its own so the sanitizer
// flags, which apply to every module of a build, never touch the main build. Build and run with
// `make fuzz-build`, `make fuzz-smoke` (part of `make test`) and `make fuzz`:
//   swift build -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
// Each target is one file defining `LLVMFuzzerTestOneInput`; libFuzzer supplies `main`.

let package = Package(
    name: "TernFuzz",
    platforms: [.macOS("14.0")],
    dependencies: [
        .package(name: "tern", path: ".."),
    ],
    targets: [
        // The HTTP/1.1 request parser (whole vs split reads) and request canonicalisation.
        .executableTarget(
            name: "FuzzRequest",
            dependencies: [.product(name: "TernProxy", package: "tern")]
        ),
        // The YAML configuration decoder.
        .executableTarget(
            name: "FuzzConfig",
            dependencies: [.product(name: "TernConfig", package: "tern")]
        ),
        // The cache policy's field parsers (Cache-Control, Vary, ETags, dates, ranges, Accept-Encoding, …).
        .executableTarget(
            name: "FuzzCachePolicy",
            dependencies: [.product(name: "TernPolicy", package: "tern")]
        ),
    ]
)
