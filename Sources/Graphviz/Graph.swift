import CGraphviz
import CGraphvizShim

/// A named, directed Graphviz graph. Not strict: two edges between the same pair of
/// nodes are distinct when their keys differ (a forward edge and its gradient edge, or
/// `x * x`). Handles to its nodes, edges and subgraphs keep it alive.
///
/// Declare defaults (`setDefault`) before creating the nodes and edges they should
/// apply to: Graphviz copies a default into each object when the object is created.
public final class Graph: NodeContainer, @unchecked Sendable {
    public let name: String
    let root: UnsafeMutablePointer<Agraph_t>
    // Guarded by the runtime lock: the engine of the current layout (nil when there is
    // none), and the engine to lay out with when rendering needs a layout.
    var layoutEngine: String?
    var requestedEngine = "dot"
    var lastWarnings = ""
    /// Whether the current layout kept the shapes of its text (`keepsTextShapes`).
    var layoutHasTextShapes = true
    var keepsTextShapesValue = true

    /// Whether a layout keeps the shaped text of every label (pango's, about 1 KB a piece
    /// of text) besides its size. Only cairo's writers (png, pdf) draw from
    /// it; svg and dot read the sizes alone. Set it to false for a graph rendered to those:
    /// the 100,000-op drawing then needs 400 MB less. Rendering a format that needs the
    /// shapes lays the graph out again with them first. Applies from the next layout.
    public var keepsTextShapes: Bool {
        get { Runtime.shared.locked { keepsTextShapesValue } }
        set { Runtime.shared.locked { keepsTextShapesValue = newValue } }
    }

    public init(name: String) {
        // An anonymous graph gets the title "%3" in SVG.
        precondition(!name.isEmpty, "Graphviz graphs must be named")
        self.name = name
        let opened = Runtime.shared.locked {
            withCString(graphvizName(name)) { gvshim_open($0, gvshim_directed()) }
        }
        guard let opened else { fatalError("agopen failed: out of memory") }
        root = opened
    }

    deinit {
        Runtime.shared.locked {
            freeLayoutLocked()
            agclose(root)
        }
    }

    public var handle: ObjectHandle { ObjectHandle(graph: self, pointer: UnsafeMutableRawPointer(root)) }

    /// Declares the default of an attribute for every object of a kind (`node [shape=box]`
    /// in DOT). For `.graph` this also sets the root graph's own value.
    public func setDefault(_ attribute: String, _ value: String, for kind: ObjectKind) {
        Runtime.shared.locked {
            withCString(attribute) { name in
                withCString(value) { value in _ = agattr(root, kind.cgraphKind, name, value) }
            }
        }
    }

    /// Text of the warnings Graphviz reported during the last layout or render.
    public var warnings: String { Runtime.shared.locked { lastWarnings } }

    /// Call with the lock held. A layout must be freed before the graph changes shape:
    /// Graphviz's teardown walks every node and expects each to have layout data.
    func freeLayoutLocked() {
        guard layoutEngine != nil, let context = Runtime.shared.existingContextLocked else { return }
        gvFreeLayout(context, root)
        layoutEngine = nil
    }
}

public enum ObjectKind: Sendable {
    case graph, node, edge

    var cgraphKind: Int32 {
        switch self {
        case .graph: return Int32(AGRAPH)
        case .node: return Int32(AGNODE)
        case .edge: return Int32(AGEDGE)
        }
    }
}

/// Identifies one cgraph object. Its contents stay inside this module.
public struct ObjectHandle: Hashable {
    let graph: Graph
    let pointer: UnsafeMutableRawPointer

    public static func == (lhs: ObjectHandle, rhs: ObjectHandle) -> Bool { lhs.pointer == rhs.pointer }
    public func hash(into hasher: inout Hasher) { hasher.combine(pointer) }
}

/// A graph, subgraph, node or edge: anything that carries attributes.
public protocol GraphvizObject {
    var handle: ObjectHandle { get }
}

/// The root graph or a subgraph: something nodes, edges and subgraphs are created in.
public protocol NodeContainer: GraphvizObject {}

public struct Subgraph: NodeContainer {
    public let name: String
    public let handle: ObjectHandle
}

public struct Node: GraphvizObject, Hashable {
    public let name: String
    public let handle: ObjectHandle

    var pointer: UnsafeMutablePointer<Agnode_t> { handle.pointer.assumingMemoryBound(to: Agnode_t.self) }
}

public struct Edge: GraphvizObject, Hashable {
    public let tail: Node
    public let head: Node
    public let key: String
    public let handle: ObjectHandle
}

extension NodeContainer {
    var graphPointer: UnsafeMutablePointer<Agraph_t> { handle.pointer.assumingMemoryBound(to: Agraph_t.self) }

    /// The node with this unique name, created if new. Created in a subgraph, it also
    /// belongs to the root graph. The SVG shows the name as the node's `<title>`; a control
    /// character in it is shown as U+XXXX, so names differing only in that are one node.
    public func node(_ name: String) -> Node {
        Runtime.shared.locked {
            let pointer = withCString(graphvizName(name)) { name in
                if let existing = agnode(graphPointer, name, 0) { return existing }
                handle.graph.freeLayoutLocked()
                return agnode(graphPointer, name, 1)!
            }
            return Node(name: name, handle: ObjectHandle(graph: handle.graph, pointer: UnsafeMutableRawPointer(pointer)))
        }
    }

    /// Puts an existing node into this subgraph too.
    public func add(_ node: Node) {
        precondition(node.handle.graph === handle.graph, "node belongs to another graph")
        Runtime.shared.locked {
            if agsubnode(graphPointer, node.pointer, 0) != nil { return }
            handle.graph.freeLayoutLocked()
            _ = agsubnode(graphPointer, node.pointer, 1)
        }
    }

    /// The subgraph with this name, created if new. Graphviz draws a subgraph as a boxed
    /// cluster only when its name begins with "cluster".
    public func subgraph(_ name: String) -> Subgraph {
        Runtime.shared.locked {
            let pointer = withCString(graphvizName(name)) { name in
                if let existing = agsubg(graphPointer, name, 0) { return existing }
                handle.graph.freeLayoutLocked()
                return agsubg(graphPointer, name, 1)!
            }
            return Subgraph(name: name, handle: ObjectHandle(graph: handle.graph, pointer: UnsafeMutableRawPointer(pointer)))
        }
    }

    /// The edge from `tail` to `head` with this key, created if new. Edges between the
    /// same pair with different keys are distinct edges.
    @discardableResult
    public func edge(from tail: Node, to head: Node, key: String) -> Edge {
        precondition(tail.handle.graph === handle.graph && head.handle.graph === handle.graph,
                     "nodes belong to another graph")
        precondition(!key.isEmpty, "edges need a key to be told apart")
        return Runtime.shared.locked {
            let pointer = withCString(key) { key in
                if let existing = gvshim_edge(graphPointer, tail.pointer, head.pointer, key, 0) { return existing }
                handle.graph.freeLayoutLocked()
                return gvshim_edge(graphPointer, tail.pointer, head.pointer, key, 1)!
            }
            return Edge(tail: tail, head: head, key: key,
                        handle: ObjectHandle(graph: handle.graph, pointer: UnsafeMutableRawPointer(pointer)))
        }
    }
}
