import CGraphviz
import CGraphvizShim
import Foundation

/// The process-wide Graphviz state. Graphviz keeps global state (error level, string
/// pools of the root graphs, plugin caches, layout scratch data) and crashes when two
/// threads lay out at once even with one context each, so every call into
/// libcgraph/libgvc, from any Graph, goes through this one lock.
final class Runtime: @unchecked Sendable {
    static let shared = Runtime()

    private let lock = NSLock()
    // One context for the process: contexts are costly to create (plugin loading) and
    // Graphviz is serialized anyway. Guarded by `lock`.
    private var context: OpaquePointer?
    private(set) var layoutEngines: [String] = []
    private(set) var formats: [String] = []
    /// Whether text can be measured without keeping its shapes (`Graph.keepsTextShapes`):
    /// the pango plugin is the one Graphviz measures with.
    private(set) var canDropTextShapes = false

    private init() {
        // Before any other Graphviz call, so nothing is printed to stderr.
        gvshim_errors_install()
    }

    func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// The shared GVC context, created on first use. Call with the lock held.
    func contextLocked() throws -> OpaquePointer {
        if let context { return context }
        guard let created = gvContext() else { throw GraphvizError.pluginsMissing }
        let engines = Runtime.pluginNames(created, kind: "layout")
        // Without Debian's plugin config every engine and format is "not recognized";
        // say what fixes it instead. Not cached, so a fixed install works on retry.
        guard !engines.isEmpty else {
            gvFreeContext(created)
            throw GraphvizError.pluginsMissing
        }
        context = created
        layoutEngines = engines
        formats = Runtime.pluginNames(created, kind: "device")
        canDropTextShapes = gvshim_text_shapes_install() != 0
        return created
    }

    /// Runs `body` on a thread with a 1 GiB stack and waits for it. dot's layout and its
    /// renderers recurse along paths of the graph (a chain of 620 nodes overflows the main
    /// thread's 8 MiB); only the pages a deep graph touches are ever used.
    static func onLargeStack<T>(_ body: () throws -> T) rethrows -> T {
        try withoutActuallyEscaping(body) { body in
            let run = LargeStackRun(body)
            let thread = Thread { run.run() }
            thread.stackSize = 1 << 30
            thread.start()
            run.done.wait()
            return try run.result!.get()
        }
    }

    /// The shared context if it exists; freeing a layout needs the context that made it.
    var existingContextLocked: OpaquePointer? { context }

    private static func pluginNames(_ context: OpaquePointer, kind: String) -> [String] {
        guard let names = gvshim_plugin_names(context, kind) else { return [] }
        defer { gvshim_free(names) }
        return String(cString: names).split(separator: " ").map(String.init)
    }
}

/// Graphviz declares most string parameters `char *` (2.4x) but only reads them;
/// newer releases make them `const`, which this conversion also satisfies.
func withCString<T>(_ string: String, _ body: (UnsafeMutablePointer<CChar>) throws -> T) rethrows -> T {
    try string.withCString { try body(UnsafeMutablePointer(mutating: $0)) }
}

/// One call run on another thread; `done` is signalled once `result` is set.
private final class LargeStackRun<T>: @unchecked Sendable {
    /// Dropped once run: the body only pretends to escape (`withoutActuallyEscaping`
    /// checks that nothing holds it when the call returns).
    private var body: (() throws -> T)?
    var result: Result<T, Error>?
    let done = DispatchSemaphore(value: 0)

    init(_ body: @escaping () throws -> T) { self.body = body }

    func run() {
        do { result = .success(try body!()) } catch { result = .failure(error) }
        body = nil
        done.signal()
    }
}
