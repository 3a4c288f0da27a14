import GradvizCore
import GradvizModel

/// Draws a computed model: the entry point of the exporter.
public enum Renderer {
    /// The drawing of `model` with its gradients in `format` (svg, dot, png or pdf).
    public static func render(_ model: Model, _ grads: Gradients, format: OutputFormat, options: RenderOptions) throws -> [UInt8] {
        throw RenderError("the \(format.rawValue) exporter is not built yet")
    }
}

public struct RenderError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
