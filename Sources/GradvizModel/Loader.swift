import Foundation
import GradvizCore

/// A mistake in a model file: one line naming the file, the place and what was expected.
public struct ModelError: Error, CustomStringConvertible {
    public let file: String
    public let position: SourcePosition?
    public let message: String

    public init(file: String, position: SourcePosition?, message: String) {
        self.file = file
        self.position = position
        self.message = message
    }

    public var description: String {
        if let p = position, p != .unknown { return "\(file):\(p.line):\(p.column): \(message)" }
        return "\(file): \(message)"
    }
}

/// Reads model.json: validates everything, expands expressions and functions into a plan
/// whose every shape is checked, and only then builds and computes the graph.
public struct ModelLoader {
    /// The largest tensor a model may hold (values, inits and every computed value).
    public static let maxElements = 1 << 24
    /// The most nodes a model may expand to (functions can multiply nodes).
    public static let maxNodes = 5_000_000
    /// Deepest nesting of function calls inside function calls.
    public static let maxCallDepth = 64
    static let maxAttributeMagnitude = 1 << 40
    /// False in a process that ends after its model (the command line): the parse tree and
    /// the plan are then never freed, which would only keep a core busy for nothing.
    /// Set it before loading, from one thread.
    nonisolated(unsafe) public static var freesParseTree = true
    /// Called first on the thread that parses a large file (see `loadStreaming`), with
    /// the file's size: the command line sets up that thread's heap with it.
    nonisolated(unsafe) public static var parsingThreadSetup: (@Sendable (Int) -> Void)?

    static let topLevelKeys = ["gradviz", "name", "description", "inputs", "functions", "nodes", "outputs", "seed"]
    static let inputKeys = ["value", "shape", "init", "fill", "mean", "std", "low", "high", "seed", "grad", "label", "doc"]
    static let nodeKeys = ["id", "outputs", "op", "inputs", "attrs", "expr", "label", "group", "doc"]
    static let functionKeys = ["params", "body", "forward", "backward", "doc"]
    static let inits = ["zeros", "ones", "full", "arange", "normal", "uniform"]
    static let initKeys: [String: [String]] = [
        "zeros": [], "ones": [], "arange": [], "full": ["fill"], "normal": ["mean", "std", "seed"], "uniform": ["low", "high", "seed"],
    ]

    public let file: String
    /// From this size on (bytes), the file is read while it is parsed: see `loadStreaming`.
    public let streamingFrom: Int

    public init(file: String, streamingFrom: Int = 1 << 18) {
        self.file = file
        self.streamingFrom = streamingFrom
    }

    /// `phase` is told when each step ends ("parse", "plan", "graph"), for timing.
    public static func load(path: String, phase: (String) -> Void = { _ in }) throws -> Model {
        let display = path == "-" ? "<stdin>" : path
        let bytes: [UInt8]
        if path == "-" {
            bytes = Array(FileHandle.standardInput.readDataToEndOfFile())
        } else {
            guard let data = FileManager.default.contents(atPath: path) else {
                var isDirectory: ObjCBool = false
                let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
                throw ModelError(file: display, position: nil,
                                 message: exists ? (isDirectory.boolValue ? "is a directory, expected a model.json file" : "cannot be read (permission denied?)") : "no such file")
            }
            bytes = Array(data)
        }
        phase("read")
        return try ModelLoader(file: display).load(bytes, phase: phase)
    }

    public func load(_ bytes: [UInt8], phase: (String) -> Void = { _ in }) throws -> Model {
        if bytes.count >= streamingFrom { return try loadStreaming(bytes, phase: phase) }
        let root: JSONValue
        do { root = try JSONValue.parse(bytes) } catch { throw invalidJSON(error) }
        phase("parse")
        var builder = PlanBuilder(file: file)
        try builder.read(root)
        phase("plan")
        return try build(builder, root, phase: phase)
    }

    /// A large file is parsed on another core while this one reads the nodes the parser has
    /// finished: reading them takes longer than parsing, so the parse costs almost nothing.
    /// The result is `load`'s: the streamed reading makes every check, and after any
    /// mistake the finished document is read again in order, for the message `load` gives.
    func loadStreaming(_ bytes: [UInt8], phase: (String) -> Void) throws -> Model {
        let feed = NodeFeed(key: "nodes")
        // A node takes some 50 bytes of JSON (`{"id": "v1", "op": "relu", "inputs": ["v0"]}`).
        let expectedNodes = bytes.count / 48
        let planFeed = PlanFeed(capacity: expectedNodes)
        let setup = ModelLoader.parsingThreadSetup, size = bytes.count
        DispatchQueue.global(qos: .userInitiated).async {
            setup?(size)
            do throws(JSONError) { feed.finish(.success(try JSONValue.parse(bytes, streaming: feed))) } catch { feed.finish(.failure(error)) }
            // Parsing is done before reading is: the rest of this core's time goes to
            // computing the nodes already planned.
            planFeed.run()
        }
        var builder = PlanBuilder(file: file)
        var streamed = false
        if let prelude = feed.prelude() {
            do {
                try builder.read(prelude: prelude, expectedNodes: expectedNodes, next: feed.next,
                                 complete: { try feed.result().get() }, publish: planFeed.publish)
                streamed = true
            } catch {}
        }
        let root: JSONValue
        do { root = try feed.result().get() } catch {
            planFeed.cancel()
            throw invalidJSON(error)
        }
        guard streamed else {
            planFeed.cancel()
            builder = PlanBuilder(file: file)
            try builder.read(root)
            phase("parse+plan")
            return try build(builder, root, phase: phase)
        }
        phase("parse+plan")
        planFeed.planComplete()
        let graph: GraphBuilder
        do throws(GraphBuilder.Failure) { graph = try planFeed.graph() } catch { throw builder.modelError(error) }
        return try build(builder, root, graph: graph, phase: phase)
    }

    func invalidJSON(_ error: JSONError) -> ModelError {
        ModelError(file: file, position: error.position, message: "invalid JSON: \(error.message)")
    }

    private func build(_ builder: consuming PlanBuilder, _ root: consuming JSONValue, graph: GraphBuilder? = nil,
                       phase: (String) -> Void) throws -> Model {
        let model = try builder.build(continuing: graph)
        phase("graph")
        // The parsed text and the plan are a few small objects per node: for a large model,
        // freeing them takes as long as building the graph did. Another core does it while
        // this one goes on with the model; a process that ends after this model leaves it
        // to the system.
        let garbage = Garbage(contents: (consume root, consume builder))
        if ModelLoader.freesParseTree {
            DispatchQueue.global(qos: .utility).async { withExtendedLifetime(garbage) {} }
        } else {
            Garbage.kept.append(garbage)
        }
        return model
    }

    public func load(_ text: String) throws -> Model { try load(Array(text.utf8)) }
}

/// The nodes of a document being parsed, handed from the parsing thread to the reading one
/// in batches (a lock per node would cost more than reading it).
final class NodeFeed: JSONArrayStream, @unchecked Sendable {
    let key: String
    private let condition = NSCondition()
    // Shared, under `condition`.
    private var started: [JSONMember]?
    private var published: [JSONValue] = []
    private var finished: Result<JSONValue, JSONError>?
    // The parsing thread's own.
    private var batch: [JSONValue] = []
    // The reading thread's own.
    private var taken: [JSONValue] = []
    private var nextIndex = 0

    init(key: String) { self.key = key }

    // MARK: Parsing thread

    func start(_ membersBefore: [JSONMember]) {
        condition.lock()
        started = membersBefore
        condition.broadcast()
        condition.unlock()
    }

    func element(_ value: JSONValue) {
        batch.append(value)
        if batch.count == 256 { publish() }
    }

    private func publish() {
        condition.lock()
        published.append(contentsOf: batch)
        condition.broadcast()
        condition.unlock()
        batch.removeAll(keepingCapacity: true)
    }

    func finish(_ result: Result<JSONValue, JSONError>) {
        publish()
        condition.lock()
        finished = result
        condition.broadcast()
        condition.unlock()
    }

    // MARK: Reading thread

    /// The top-level members before the nodes, or nil when the document ends (or fails)
    /// without the nodes array opening.
    func prelude() -> [JSONMember]? {
        condition.lock()
        defer { condition.unlock() }
        while started == nil && finished == nil { condition.wait() }
        return started
    }

    /// The next node, waiting for the parser; nil once the document is complete and every
    /// node has been given.
    func next() -> JSONValue? {
        if nextIndex == taken.count {
            condition.lock()
            while published.isEmpty && finished == nil { condition.wait() }
            swap(&taken, &published)
            published.removeAll(keepingCapacity: true)
            condition.unlock()
            nextIndex = 0
            if taken.isEmpty { return nil }
        }
        nextIndex += 1
        return taken[nextIndex - 1]
    }

    /// The whole document, once parsed.
    func result() -> Result<JSONValue, JSONError> {
        condition.lock()
        defer { condition.unlock() }
        while finished == nil { condition.wait() }
        return finished!
    }
}

/// Whatever is handed to another thread only to be freed there; nothing reads it.
private struct Garbage: @unchecked Sendable {
    let contents: Any
    /// Parse trees and plans kept to the end of the process (`ModelLoader.freesParseTree`).
    nonisolated(unsafe) static var kept: [Garbage] = []
}

/// A value of the plan: output `output` of plan node `node`. Plan node n becomes graph
/// node n (`build` adds them in order), so a plan value is the graph value: a node's
/// inputs go to the graph as they are, not converted one by one.
typealias PlanRef = ValueID

/// A node of the plan: everything `Graph` will record, plus shapes and where it came from.
struct PlanNode {
    enum Kind {
        // Boxed: an input's fields are large and inputs are few, and every plan node is as
        // big as its largest kind (a plan node is copied and freed once per node).
        indirect case input(Tensor?, InputInit?, requiresGradient: Bool)
        case constant(Double)
        case op(any Op)
    }
    var kind: Kind
    var inputs: [PlanRef]
    var names: [String]
    var shapes: [[Int]]
    var annotations: [String: String]
    /// The line of the model file that wrote it.
    var line: Int
}

/// `shape` + `init` of an input, generated once the whole model is known to be valid.
struct InputInit {
    let kind: String
    let shape: [Int]
    let fill: Double, mean: Double, std: Double, low: Double, high: Double
    let seed: Int

    func tensor() -> Tensor {
        let n = Tensor.count(of: shape)
        var rng = SeededGenerator(seed: UInt64(bitPattern: Int64(seed)))
        let data: [Double]
        switch kind {
        case "zeros": data = [Double](repeating: 0, count: n)
        case "ones": data = [Double](repeating: 1, count: n)
        case "full": data = [Double](repeating: fill, count: n)
        case "arange": data = (0..<n).map(Double.init)
        case "normal": data = (0..<n).map { _ in mean + std * rng.normal() }
        default: data = (0..<n).map { _ in low + (high - low) * rng.unit() }
        }
        return Tensor(shape: shape, data: data)
    }
}
