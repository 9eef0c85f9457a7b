// swift-tools-version:6.0
import PackageDescription

// Kernels are compiled with optimisation even in debug builds, so that the test suite (which builds in
// debug) runs the real code at a useful speed. Release builds are optimised anyway.
let optimisedInDebug: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "MVD",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "mvd", targets: ["mvd"]),
        .library(name: "Tensor", targets: ["Tensor"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        // C libraries from Debian -dev packages. Macros Swift cannot import become static inline accessors in shim.h.
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CHDF5", path: "Sources/CHDF5", pkgConfig: "hdf5-serial",
                       providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "CFFmpeg", path: "Sources/CFFmpeg", pkgConfig: "libavformat",
                       providers: [.apt(["libavformat-dev", "libavcodec-dev", "libswscale-dev", "libavutil-dev"])]),

        // Libraries (see DESIGN.md §2 for the dependency picture).
        .target(name: "Tensor", dependencies: ["CBLAS"], swiftSettings: optimisedInDebug),
        .target(name: "Checkpoint", swiftSettings: optimisedInDebug),
        .target(name: "VideoIO", dependencies: ["CFFmpeg"], swiftSettings: optimisedInDebug),
        .target(name: "FeatureStore", dependencies: ["CHDF5"], swiftSettings: optimisedInDebug),
        .target(name: "Models", dependencies: ["Tensor", "Checkpoint"], swiftSettings: optimisedInDebug),
        .target(name: "Plot", swiftSettings: optimisedInDebug),
        .target(name: "Evaluate", dependencies: ["Tensor"], swiftSettings: optimisedInDebug),

        // Executables: parse arguments, build a config, call a library.
        .executableTarget(name: "mvd", dependencies: [
            "Tensor", "Checkpoint", "Models", "VideoIO", "FeatureStore",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: optimisedInDebug),

        // Tests. TestSupport holds the comparison and fixture helpers shared by every test target.
        .target(name: "TestSupport", path: "Sources/TestSupport"),
        .testTarget(name: "TensorTests", dependencies: ["Tensor", "TestSupport"], swiftSettings: optimisedInDebug),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "Checkpoint", "TestSupport"]),
        .testTarget(name: "CheckpointTests", dependencies: ["Checkpoint", "TestSupport"]),
        .testTarget(name: "VideoIOTests", dependencies: ["VideoIO", "TestSupport"]),
        .testTarget(name: "FeatureStoreTests", dependencies: ["FeatureStore", "TestSupport"]),
        .testTarget(name: "PlotTests", dependencies: ["Plot", "TestSupport"]),
        .testTarget(name: "EvaluateTests", dependencies: ["Evaluate", "Tensor", "TestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
