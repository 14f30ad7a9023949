// swift-tools-version:6.0
import PackageDescription

// Targets follow ../shared/DESIGN.md: C leaves at the bottom, ReflexCore's protocols in the middle,
// implementations at the leaves, and the `reflex` command on top. No cycles.
let package = Package(
    name: "Reflex",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "reflex", targets: ["reflex"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.1.0"),
    ],
    targets: [
        // The wire format, written once in portable C99 and shared with the firmware.
        .target(
            name: "CBridge",
            path: "firmware-bridge/protocol",
            exclude: ["tests"],
            publicHeadersPath: "include",
            cSettings: [.unsafeFlags(["-std=c99", "-Wall", "-Wextra"])]
        ),
        .systemLibrary(name: "CSerialPort", pkgConfig: "libserialport", providers: [.apt(["libserialport-dev"])]),
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        // The C library's sincos (a GNU extension the Swift C-library module does not expose).
        .systemLibrary(name: "CMath"),

        .target(name: "ReflexCore", dependencies: [.product(name: "Yams", package: "Yams")]),
        .target(
            name: "NeuralNet",
            dependencies: ["CBLAS"],
            swiftSettings: [.unsafeFlags(["-Ounchecked"])]
        ),
        .target(
            name: "Simulation",
            dependencies: ["ReflexCore", "CMath"],
            // Optimized in debug builds too (with its checks): the tests step millions of simulated steps,
            // and its per-step allocation guarantees hold only for optimized code.
            swiftSettings: [.unsafeFlags(["-O"])]
        ),
        .target(name: "PolicyRuntime", dependencies: ["ReflexCore", "NeuralNet"]),
        .target(
            name: "Learning",
            dependencies: ["ReflexCore", "NeuralNet", "Simulation", "PolicyRuntime", .product(name: "Yams", package: "Yams")],
            swiftSettings: [.unsafeFlags(["-Ounchecked"])]
        ),
        .target(name: "Bridge", dependencies: ["ReflexCore", "CBridge", "CSerialPort"]),
        .target(
            name: "Control",
            dependencies: ["ReflexCore", "PolicyRuntime", .product(name: "Histogram", package: "hdrhistogram-swift")]
        ),
        .target(name: "VirtualRobot", dependencies: ["Simulation", "Bridge"]),
        // OpenCV behind a small extern "C" shim (C++ exceptions become error codes), linking only the modules used.
        .target(
            name: "COpenCV",
            cxxSettings: [.unsafeFlags(["-I/usr/include/opencv4", "-std=c++17"])],
            linkerSettings: [
                .linkedLibrary("opencv_core"), .linkedLibrary("opencv_imgproc"), .linkedLibrary("opencv_imgcodecs"),
                .linkedLibrary("opencv_videoio"),
            ]
        ),
        .target(name: "Vision", dependencies: ["ReflexCore", "Simulation", "COpenCV"]),
        // The real firmware image on an emulated ATmega328P: mcu_sim.c over libsimavr (Swift cannot import
        // simavr's ioctl macros), and the Swift side that wires its pins to a plant.
        .target(
            name: "CSimAVR",
            path: "firmware-bridge/simavr",
            exclude: ["firmware_sim.c", "link_check.c", "smoke.sh"],
            sources: ["mcu_sim.c"],
            publicHeadersPath: ".",
            cSettings: [.unsafeFlags(["-std=gnu99", "-I/usr/include/simavr"])],
            linkerSettings: [.linkedLibrary("simavr"), .linkedLibrary("elf"), .linkedLibrary("util")]
        ),
        .target(name: "FirmwareInTheLoop", dependencies: ["CSimAVR", "Simulation", "ReflexCore"]),
        .executableTarget(
            name: "reflex",
            dependencies: [
                "ReflexCore", "NeuralNet", "Simulation", "Learning", "PolicyRuntime", "Bridge", "Control",
                "VirtualRobot", "FirmwareInTheLoop", "Vision", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .target(name: "ReflexTestSupport", dependencies: ["ReflexCore"], path: "Tests/ReflexTestSupport"),
        .testTarget(name: "ReflexCoreTests", dependencies: ["ReflexCore", "ReflexTestSupport"]),
        .testTarget(name: "NeuralNetTests", dependencies: ["NeuralNet"]),
        .testTarget(
            name: "SimulationTests",
            dependencies: ["Simulation", "ReflexCore", "CAllocationCounter"],
            resources: [.copy("Fixtures")],
            // Optimized like Simulation: generic test helpers that count allocations must be specialized.
            swiftSettings: [.unsafeFlags(["-O"])]
        ),
        .testTarget(
            name: "PolicyRuntimeTests", dependencies: ["PolicyRuntime", "NeuralNet", "ReflexCore", "CAllocationCounter"],
            exclude: ["check_policy_file.py"]),
        .testTarget(name: "LearningTests", dependencies: ["Learning", "Simulation", "NeuralNet", "PolicyRuntime", "CAllocationCounter"]),
        .testTarget(name: "BridgeTests", dependencies: ["Bridge", "CBridge", "ReflexCore", "ReflexTestSupport", "CAllocationCounter"]),
        // Test-only: interposes malloc to count a thread's heap allocations (the control loop's zero-allocation test).
        .target(name: "CAllocationCounter", path: "Tests/CAllocationCounter"),
        .testTarget(
            name: "ControlTests",
            dependencies: ["Control", "ReflexCore", "ReflexTestSupport", "PolicyRuntime", "NeuralNet", "CAllocationCounter"]),
        .testTarget(name: "VirtualRobotTests", dependencies: ["VirtualRobot", "Bridge", "Simulation", "ReflexCore"]),
        .testTarget(
            name: "VisionTests",
            dependencies: ["Vision", "ReflexCore", "Simulation", "Control", "ReflexTestSupport", "CAllocationCounter", "VirtualRobot", "Bridge"]),
        .testTarget(name: "EndToEndTests", dependencies: ["ReflexCore", "PolicyRuntime", "Bridge", "NeuralNet"]),
    ],
    swiftLanguageModes: [.v5]
)
