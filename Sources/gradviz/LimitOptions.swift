import ArgumentParser
import GradvizModel

/// --max-memory and --max-flops: how much a model may take, checked against the estimate
/// made from its plan before anything is computed (docs/model-format.md, "Limits").
struct LimitOptions: ParsableArguments {
    @Option(name: .customLong("max-memory"), help: ArgumentHelp(
        "Refuse a model whose values, gradients and edge gradients would need more memory than this (8GB by default; units B, kB, MB, GB, TB, KiB, MiB, GiB, TiB).",
        valueName: "size"))
    var maxMemory: String = "8GB"
    @Option(name: .customLong("max-flops"), help: ArgumentHelp(
        "Refuse a model whose forward and backward pass would take more floating-point operations than this (1e12 by default).",
        valueName: "n"))
    var maxFlops: String = "1e12"

    func validate() throws {
        guard parseByteCount(maxMemory) != nil else { throw ValidationError("--max-memory must be a size such as 8GB or 512MiB, got '\(maxMemory)'") }
        guard let f = Double(maxFlops), f.isFinite, f > 0 else { throw ValidationError("--max-flops must be a positive number such as 1e12, got '\(maxFlops)'") }
    }

    var limits: Limits { Limits(maxMemory: parseByteCount(maxMemory)!, maxFlops: Double(maxFlops)!) }
}
