/// Every built-in op, in the order `gradviz ops` lists them. An op is one type holding its
/// forward and its vjp; listing it here makes it available to models by name.
public enum OpRegistry {
    public static let all: [any Op.Type] = [
        Add.self, Sub.self, Mul.self, Div.self, Pow.self, Maximum.self, Minimum.self,
        Neg.self, Exp.self, Log.self, Sqrt.self, Square.self, Abs.self, Sin.self, Cos.self,
        Tanh.self, Sigmoid.self, Relu.self, Softplus.self, LeakyRelu.self, Gelu.self, Identity.self,
        Matmul.self, Transpose.self, Reshape.self, Concat.self, Split.self, Slice.self,
        Sum.self, Mean.self, Max.self, LogSumExp.self, Softmax.self, LogSoftmax.self,
        MSELoss.self, CrossEntropy.self, BCEWithLogits.self,
        LayerNorm.self, BatchNorm.self, Dropout.self,
        Conv2d.self, MaxPool2d.self, AvgPool2d.self,
    ]

    private static let byName: [String: any Op.Type] = Dictionary(uniqueKeysWithValues: all.map { ($0.info.name, $0) })

    public static func type(named name: String) -> (any Op.Type)? { byName[name] }

    private static let builtInTypes = Set(all.map { ObjectIdentifier($0) })

    /// True for an instance of a built-in op, false for custom ops.
    public static func isBuiltIn(_ op: any Op) -> Bool { builtInTypes.contains(ObjectIdentifier(Swift.type(of: op))) }
    public static var names: [String] { all.map { $0.info.name } }

    /// Builds the op `name` from user-given attributes (validated, defaults filled in).
    public static func make(_ name: String, _ attributes: [(String, AttrValue)] = []) throws(OpError) -> any Op {
        guard let type = byName[name] else {
            var message = "unknown op \(quoted(name))"
            if let near = nearestName(to: name, in: names) { message += " (did you mean \(quoted(near))?)" }
            throw OpError(message)
        }
        return try type.init(Attributes(validating: attributes, for: type.info))
    }
}
