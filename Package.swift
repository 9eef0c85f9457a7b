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
        .executable(name: "extract-features", targets: ["extract-features"]),
        .executable(name: "distill", targets: ["distill"]),
        .executable(name: "evaluate", targets: ["evaluate"]),
        .library(name: "Tensor", targets: ["Tensor"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
    ],
    targets: [
        // C libraries from Debian -dev packages. Macros Swift cannot import become static inline accessors in shim.h.
        .systemLibrary(
            name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "CHDF5", path: "Sources/CHDF5", pkgConfig: "hdf5-serial",
            providers: [.apt(["libhdf5-dev"])]),
        // oneDNN: the matrix products (fp32 and bf16). No pkg-config entry on Debian; the module map links it.
        .systemLibrary(name: "CDNNL", path: "Sources/CDNNL", providers: [.apt(["libdnnl-dev"])]),
        .systemLibrary(
            name: "CFFmpeg", path: "Sources/CFFmpeg", pkgConfig: "libavformat",
            providers: [.apt(["libavformat-dev", "libavcodec-dev", "libswscale-dev", "libavutil-dev"])]),
        // zlib: deflate for PNG charts, CRC-32 for PNG chunks and zip entries.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // OpenSSL's libcrypto: SHA-256 of manifests and checkpoints.
        .systemLibrary(name: "CLibCrypto", path: "Sources/CLibCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // Open MPI, for runs across processes and machines (only the CollectiveMPI target sees it).
        .systemLibrary(name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])]),

        // Libraries (see docs/design.md for the dependency picture).
        // Elementwise hot loops (softmax, GELU) in C, with an AVX-512 path chosen at run time.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O3"])]),
        // oneDNN's matmul primitive behind a BLAS-like C call, with a cache of primitives per shape.
        .target(
            name: "DNNLKernels", dependencies: ["CDNNL"], cSettings: [.unsafeFlags(["-O3"])],
            linkerSettings: [.linkedLibrary("dnnl")]),
        .target(name: "Tensor", dependencies: ["CBLAS", "CKernels", "DNNLKernels"], swiftSettings: optimisedInDebug),
        .target(name: "Checkpoint", dependencies: ["CZlib"], swiftSettings: optimisedInDebug),
        // The processes of a run: the protocol and one process here, the MPI implementation in its own target.
        .target(name: "Collective"),
        .target(name: "CollectiveMPI", dependencies: ["Collective", "CMPI"]),
        .target(name: "VideoIO", dependencies: ["CFFmpeg"], swiftSettings: optimisedInDebug),
        .target(name: "FeatureStore", dependencies: ["CHDF5", "CLibCrypto"], swiftSettings: optimisedInDebug),
        .target(name: "Models", dependencies: ["Tensor", "Checkpoint"], swiftSettings: optimisedInDebug),
        .target(
            name: "Distill", dependencies: ["Tensor", "Models", "Checkpoint", "VideoIO", "FeatureStore", "Collective"],
            swiftSettings: optimisedInDebug),
        .target(name: "FeatureExtract", dependencies: ["Tensor", "Models", "VideoIO", "FeatureStore"], swiftSettings: optimisedInDebug),
        .target(name: "Plot", dependencies: ["CZlib"], swiftSettings: optimisedInDebug),
        .target(name: "Evaluate", dependencies: ["Tensor", "Models", "VideoIO", "FeatureStore"], swiftSettings: optimisedInDebug),
        // What `mvd bench` times: products, blocks, teachers, decoding, cache I/O; kept out of the libraries.
        .target(name: "Benchmarks", dependencies: ["CKernels", "Tensor", "Models", "VideoIO", "FeatureStore"], swiftSettings: optimisedInDebug),

        // The command-line layer: each command parses flags, builds a typed config and calls a library.
        .target(
            name: "MVDCommands",
            dependencies: [
                "Tensor", "Checkpoint", "Models", "Distill", "VideoIO", "FeatureStore", "FeatureExtract", "Evaluate", "Plot",
                "Collective", "CollectiveMPI", "Benchmarks",
                .product(name: "ArgumentParser", package: "swift-argument-parser")
            ], swiftSettings: optimisedInDebug),
        // Executables: `mvd` with every command as a subcommand.
        .executableTarget(
            name: "mvd",
            dependencies: [
                "MVDCommands", "Tensor",
                .product(name: "ArgumentParser", package: "swift-argument-parser")
            ], swiftSettings: optimisedInDebug),
        .executableTarget(name: "extract-features", dependencies: ["MVDCommands", "Tensor"], swiftSettings: optimisedInDebug),
        .executableTarget(name: "distill", dependencies: ["MVDCommands", "Tensor"], swiftSettings: optimisedInDebug),
        .executableTarget(name: "evaluate", dependencies: ["MVDCommands", "Tensor"], swiftSettings: optimisedInDebug),
        // FeatureStore helpers: the writer child that the crash tests kill, and the cache I/O benchmark.
        .executableTarget(name: "featurestore-crash-writer", dependencies: ["FeatureStore"]),
        .executableTarget(name: "featurestore-bench", dependencies: ["Benchmarks"], swiftSettings: optimisedInDebug),

        // Tests. TestSupport holds the comparison and fixture helpers shared by every test target.
        .target(name: "TestSupport", dependencies: ["Tensor", "FeatureStore"], path: "Sources/TestSupport"),
        .testTarget(name: "TensorTests", dependencies: ["Tensor", "TestSupport"], swiftSettings: optimisedInDebug),
        .testTarget(name: "DistillTests", dependencies: ["Distill", "Collective", "Models", "Tensor", "Checkpoint", "FeatureStore", "TestSupport"]),
        .testTarget(
            name: "FeatureExtractTests",
            dependencies: ["FeatureExtract", "Distill", "FeatureStore", "VideoIO", "Models", "Checkpoint", "Tensor", "TestSupport"]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "Checkpoint", "TestSupport"]),
        .testTarget(name: "CheckpointTests", dependencies: ["Checkpoint", "TestSupport"]),
        .testTarget(name: "VideoIOTests", dependencies: ["VideoIO", "Checkpoint", "Tensor", "TestSupport"]),
        .testTarget(name: "FeatureStoreTests", dependencies: ["FeatureStore", "Benchmarks", "TestSupport"]),
        .testTarget(name: "PlotTests", dependencies: ["Plot", "CZlib", "TestSupport"]),
        .testTarget(name: "EvaluateTests", dependencies: ["Evaluate", "Tensor", "Models", "VideoIO", "FeatureStore", "TestSupport"]),
        .testTarget(
            name: "MVDCommandsTests",
            dependencies: [
                "MVDCommands", "Distill", "Models", "FeatureExtract", "FeatureStore", "Evaluate", "VideoIO", "Checkpoint", "Tensor", "Benchmarks",
                "CKernels",
                "Collective", "TestSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")
            ])
    ],
    swiftLanguageModes: [.v5]
)
