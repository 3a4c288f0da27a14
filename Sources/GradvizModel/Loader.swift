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
    static let maxElements = 1 << 24
    /// The most nodes a model may expand to (functions can multiply nodes).
    public static let maxNodes = 5_000_000
    /// Deepest nesting of function calls inside function calls.
    static let maxCallDepth = 64
    static let maxAttributeMagnitude = 1 << 40
    public let file: String
    /// Memory and work a model may take (estimated from its plan before computing).
    public let limits: Limits

    public init(file: String, limits: Limits = .default) {
        self.file = file
        self.limits = limits
    }

    /// The largest model file (or standard input) read: 256 MiB, some 5,000,000 nodes.
    static let maxFileBytes = 256 << 20

    /// `phase` is told when each step ends ("read", "parse", "plan", "graph"), for timing.
    public static func load(path: String, limits: Limits = .default, phase: (String) -> Void = { _ in }) throws -> Model {
        let display = path == "-" ? "<stdin>" : path
        let bytes = try path == "-" ? readStandardInput() : readFile(path)
        phase("read")
        return try ModelLoader(file: display, limits: limits).load(bytes, phase: phase)
    }

    /// A regular file of at most `maxFileBytes`, or why it cannot be the model.
    static func readFile(_ path: String) throws -> [UInt8] {
        func refuse(_ message: String) -> ModelError { ModelError(file: path, position: nil, message: message) }
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw refuse(errno == ENOENT || errno == ENOTDIR ? "no such file" : "cannot be read: \(String(cString: strerror(errno)))")
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw refuse("is a directory, expected a model.json file")
        case S_IFIFO: throw refuse("is a FIFO, not a regular file; give a model.json file, or - and the model on standard input")
        case S_IFCHR, S_IFBLK: throw refuse("is a device, not a regular file; give a model.json file, or - and the model on standard input")
        default: throw refuse("is not a regular file; give a model.json file, or - and the model on standard input")
        }
        guard Int(info.st_size) <= maxFileBytes else {
            throw refuse("is \(info.st_size) bytes; a model file may have at most \(maxFileBytes) bytes (256 MiB)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw refuse(access(path, R_OK) != 0 ? "cannot be read: \(String(cString: strerror(errno)))" : "cannot be read")
        }
        guard data.count <= maxFileBytes else {
            throw refuse("is more than \(maxFileBytes) bytes (256 MiB), the most a model file may have")
        }
        return Array(data)
    }

    /// Standard input up to `maxFileBytes`. Reading stops early at a byte that cannot begin
    /// a JSON value (a model is an object): the parser then says what it found there, and
    /// an endless stream of zeros costs nothing.
    static func readStandardInput() throws -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var checked = false
        while true {
            let n = chunk.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ModelError(file: "<stdin>", position: nil, message: "cannot be read: \(String(cString: strerror(errno)))")
            }
            if n == 0 { return bytes }
            bytes.append(contentsOf: chunk[..<n])
            if !checked, let first = bytes.firstIndex(where: { ![0x20, 0x09, 0x0A, 0x0D, 0xEF, 0xBB, 0xBF].contains($0) }) {
                checked = true
                if !Array("{[\"-0123456789tfn".utf8).contains(bytes[first]) { return Array(bytes[...first]) }
            }
            guard bytes.count <= maxFileBytes else {
                throw ModelError(file: "<stdin>", position: nil, message: "is more than \(maxFileBytes) bytes (256 MiB), the most a model may have")
            }
        }
    }

    public func load(_ bytes: [UInt8], phase: (String) -> Void = { _ in }) throws -> Model {
        let planner = Planner(file: file)
        try planner.read(try decode(bytes, phase: phase))
        try planner.plan.check(limits)
        phase("plan")
        let model = try planner.plan.build()
        phase("graph")
        return model
    }

    public func load(_ text: String) throws -> Model { try load(Array(text.utf8)) }

    /// The typed model file. The JSON tree lives only inside this call: it is freed before
    /// the plan grows, whose memory then reuses its memory.
    func decode(_ bytes: [UInt8], phase: (String) -> Void) throws -> ModelFile {
        let root: JSONValue
        do { root = try JSONValue.parse(bytes) } catch {
            throw ModelError(file: file, position: error.position, message: "invalid JSON: \(error.message)")
        }
        phase("parse")
        return try ModelDecoder(file: file).decode(root)
    }
}
