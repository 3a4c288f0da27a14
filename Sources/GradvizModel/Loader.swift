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
    static let topLevelKeys = ["gradviz", "name", "description", "inputs", "functions", "nodes", "outputs", "seed"]
    static let inputKeys = ["value", "shape", "init", "fill", "mean", "std", "low", "high", "seed", "grad", "label", "doc"]
    static let nodeKeys = ["id", "outputs", "op", "inputs", "attrs", "expr", "label", "group", "doc"]
    static let functionKeys = ["params", "body", "forward", "backward", "doc"]
    static let inits = ["zeros", "ones", "full", "arange", "normal", "uniform"]
    static let initKeys: [String: [String]] = [
        "zeros": [], "ones": [], "arange": [], "full": ["fill"], "normal": ["mean", "std", "seed"], "uniform": ["low", "high", "seed"],
    ]

    public let file: String

    public init(file: String) {
        self.file = file
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
        let root: JSONValue
        do { root = try JSONValue.parse(bytes) } catch {
            throw ModelError(file: file, position: error.position, message: "invalid JSON: \(error.message)")
        }
        phase("parse")
        var builder = PlanBuilder(file: file)
        try builder.read(root)
        phase("plan")
        let model = try builder.build()
        phase("graph")
        return model
    }

    public func load(_ text: String) throws -> Model { try load(Array(text.utf8)) }
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
