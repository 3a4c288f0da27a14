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
        return created
    }

    /// The shared context if it exists; freeing a layout needs the context that made it.
    var existingContextLocked: OpaquePointer? { context }

    private static func pluginNames(_ context: OpaquePointer, kind: String) -> [String] {
        guard let names = gvshim_plugin_names(context, kind) else { return [] }
        defer { gvshim_free(names) }
        return String(cString: names).split(separator: " ").map(String.init)
    }
}

/// Names of the installed layout engines ("dot", "neato", ...).
public func availableLayoutEngines() throws -> [String] {
    try Runtime.shared.locked {
        _ = try Runtime.shared.contextLocked()
        return Runtime.shared.layoutEngines
    }
}

/// Names of the installed output formats ("svg", "png", "pdf", "dot", ...).
public func availableFormats() throws -> [String] {
    try Runtime.shared.locked {
        _ = try Runtime.shared.contextLocked()
        return Runtime.shared.formats
    }
}

/// Graphviz declares most string parameters `char *` (2.4x) but only reads them;
/// newer releases make them `const`, which this conversion also satisfies.
func withCString<T>(_ string: String, _ body: (UnsafeMutablePointer<CChar>) throws -> T) rethrows -> T {
    try string.withCString { try body(UnsafeMutablePointer(mutating: $0)) }
}
