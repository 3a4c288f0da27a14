import Dispatch
import Foundation
@testable import Graphviz
import XCTest

final class RuntimeTests: XCTestCase {
    /// What this layer allocates is released with each graph. The graph has no clusters:
    /// Graphviz 2.42's dot itself leaks its cluster skeleton nodes and the virtual edges of
    /// edges that cross a cluster's border on every layout (valgrind: build_skeleton,
    /// class1, class2), about 2.5 KB per such edge, which the second loop measures.
    func testRepeatedRendersKeepMemorySteady() throws {
        func flatGraph() -> Graph {
            let graph = Graph(name: "flat")
            let x = graph.node("x")
            x.setHTMLLabel("<B>x</B><BR/>3.0")
            let product = graph.node("mul")
            product.setLabel("x * x")
            graph.edge(from: x, to: product, key: "forward")
            graph.edge(from: x, to: product, key: "gradient")["dir"] = "back"
            graph.edge(from: product, to: graph.node("loss"), key: "forward")
            return graph
        }
        for _ in 0..<20 { _ = try flatGraph().render(format: "svg") }
        let before = residentBytes()
        let start = Date()
        for _ in 0..<200 { _ = try flatGraph().render(format: "svg") }
        let elapsed = Date().timeIntervalSince(start)
        let growth = residentBytes() - before
        print("200 SVG renders of a 3-node graph: \(Int(elapsed * 1_000_000 / 200)) µs each, resident memory grew \(growth / 1024) KB")
        XCTAssertLessThan(growth, 256 << 10)

        let clusteredBefore = residentBytes()
        for _ in 0..<200 { _ = try makeSampleGraph().render(format: "svg") }
        let clusteredGrowth = residentBytes() - clusteredBefore
        print("200 SVG renders of the clustered sample (5 edges crossing cluster borders): resident memory grew \(clusteredGrowth / 1024) KB (Graphviz's own leak)")
        XCTAssertLessThan(clusteredGrowth / 200, 20 << 10, "more than Graphviz's known leak per layout")
    }

    func testRendersFromSeveralThreadsAreSerialized() throws {
        let failures = Failures()
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            for round in 0..<10 {
                do {
                    let graph = makeSampleGraph(name: "thread\(thread)")
                    graph.node("n\(round)").setHTMLLabel("<I>\(round)</I>")
                    _ = try graph.render(format: round.isMultiple(of: 2) ? "svg" : "png")
                } catch {
                    failures.record(error)
                }
            }
        }
        XCTAssertEqual(failures.errors, [])
    }

    /// Without Debian's plugin config (written by `dot -c`) Graphviz knows no engines.
    /// GVBINDIR pointing at an empty directory reproduces that; the context is process
    /// wide, so the check runs in a child process of this test binary.
    func testMissingPluginConfigSaysToRunDotDashC() throws {
        if ProcessInfo.processInfo.environment["GRAPHVIZ_TESTS_NO_PLUGINS"] != nil {
            XCTAssertThrowsError(try makeSampleGraph().render(format: "svg")) { error in
                XCTAssertEqual(error as? GraphvizError, .pluginsMissing)
                XCTAssertTrue("\(error)".contains("dot -c"))
            }
            return
        }
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("gv-no-plugins-\(getpid())")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }

        let child = Process()
        child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        child.arguments = ["GraphvizTests.RuntimeTests/testMissingPluginConfigSaysToRunDotDashC"]
        var environment = ProcessInfo.processInfo.environment
        environment["GVBINDIR"] = empty.path
        environment["GRAPHVIZ_TESTS_NO_PLUGINS"] = "1"
        child.environment = environment
        let output = Pipe()
        child.standardOutput = output
        child.standardError = output
        try child.run()
        let log = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        child.waitUntilExit()
        XCTAssertEqual(child.terminationStatus, 0, log)
        XCTAssertTrue(log.contains("Executed 1 test"), log)
    }
}

private final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [String] = []
    func record(_ error: Error) { lock.lock(); recorded.append("\(error)"); lock.unlock() }
    var errors: [String] { lock.lock(); defer { lock.unlock() }; return recorded }
}

private func residentBytes() -> Int {
    // Second field of /proc/self/statm: resident pages.
    guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = statm.split(separator: " ")
    return (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
}

/// dot recurses along paths of the graph (a 620-op chain whose ops all read one input
/// overflowed the main thread's 8 MiB stack inside libgvc), so layouts and renders run on
/// a thread with a large stack.
final class LargeStackTests: XCTestCase {
    /// A recursion with a 4 KiB frame: 80 MiB deep for n = 20,000, ten times the main
    /// thread's stack.
    @inline(never)
    func deep(_ n: Int) -> Int {
        var frame = [UInt8](repeating: 0, count: 0)
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 4096) { buffer in
            buffer.initialize(repeating: UInt8(truncatingIfNeeded: n))
            frame.append(buffer[n % 4096])
            return n == 0 ? Int(frame[0]) : deep(n - 1) + Int(buffer[(n * 7) % 4096]) - Int(frame[0])
        }
    }

    func testADeepRecursionRunsOnTheLargeStack() {
        XCTAssertEqual(Runtime.onLargeStack { deep(20_000) }, 0)
    }

    func testErrorsComeBackFromTheLargeStack() {
        struct Oops: Error {}
        XCTAssertThrowsError(try Runtime.onLargeStack { () throws -> Int in throw Oops() }) { XCTAssertTrue($0 is Oops) }
    }
}
