// swift-tools-version:6.0
// 6.0 is what the code needs: typed throws (`throws(OpError)`, SE-0413) and
// `swiftLanguageModes` are Swift 6.0's; nothing newer is used (no Span, InlineArray, trailing
// commas in calls or other 6.1/6.2 features).
import PackageDescription

// Layering (each line depends only on the lines above it):
//   UserText       text from a model shown to a person: quoting for messages, visible escapes
//   COpenBLAS      OpenBLAS's C interface (dgemm for matmul and convolution), found by pkg-config
//   GradvizCore    tensors, ops (forward + vjp side by side), Graph, backward: no JSON, no Graphviz
//   GradvizModel   model.json: JSON, expressions, functions, validation, result JSON
//   CGraphviz / CGraphvizShim / Graphviz   the only code that sees a C pointer of libcgraph/libgvc
//   GradvizRender  turns a computed graph and its gradients into a drawing through `Graphviz`
//   GradvizCheck   gradviz check's report: the table, the JSON report, the drawing's marks
//   gradviz        the command line
let package = Package(
    name: "gradviz",
    products: [
        .library(name: "GradvizCore", targets: ["GradvizCore"]),
        .library(name: "GradvizModel", targets: ["GradvizModel"]),
        .library(name: "GradvizRender", targets: ["GradvizRender"]),
        .executable(name: "gradviz", targets: ["gradviz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .target(name: "UserText"),
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .target(name: "GradvizCore", dependencies: ["UserText", "COpenBLAS"]),
        .target(name: "GradvizModel", dependencies: ["GradvizCore"]),
        .systemLibrary(
            name: "CGraphviz",
            pkgConfig: "libgvc",
            providers: [.apt(["libgraphviz-dev"])]
        ),
        .target(name: "CGraphvizShim", dependencies: ["CGraphviz"]),
        .target(name: "Graphviz", dependencies: ["CGraphviz", "CGraphvizShim", "UserText"]),
        .target(name: "GradvizRender", dependencies: ["GradvizCore", "GradvizModel", "Graphviz"]),
        .target(name: "GradvizCheck", dependencies: ["GradvizCore", "GradvizModel", "GradvizRender"]),
        .executableTarget(
            name: "gradviz",
            dependencies: [
                "GradvizCore", "GradvizModel", "GradvizRender", "GradvizCheck",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "gradviz-bench", dependencies: ["GradvizCore", "GradvizModel"]),
        .testTarget(name: "GradvizCoreTests", dependencies: ["GradvizCore"]),
        .testTarget(name: "GradvizModelTests", dependencies: ["GradvizModel"]),
        .testTarget(name: "GraphvizTests", dependencies: ["Graphviz", "UserText"]),
        .testTarget(name: "GradvizRenderTests", dependencies: ["GradvizRender", "GradvizModel"]),
        .testTarget(name: "GradvizCheckTests", dependencies: ["GradvizCheck", "GradvizModel"]),
        .testTarget(name: "GradvizCLITests", dependencies: ["gradviz"]),
    ],
    swiftLanguageModes: [.v5]
)
