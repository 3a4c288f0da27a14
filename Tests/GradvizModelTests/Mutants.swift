import Foundation
@testable import GradvizModel
import GradvizCore

/// Broken variants of valid models for the fuzz test (`ModelFuzzTests`): each mutation
/// is one kind of mistake a user or a tool makes (a byte or token lost, an id swapped for a
/// later one or a look-alike, a key renamed, sections reordered, a number out of range...).
/// (Written by a helper to fuzz the model reading.)
enum Mutants {
    // MARK: Tokens

    enum TokKind { case string, number, punct, literal, space, other }
    struct Tok { var kind: TokKind; var range: Range<Int> }

    /// A rough JSON lexer over bytes (never fails: unknown bytes become `.other`).
    static func tokenize(_ b: [UInt8]) -> [Tok] {
        var out: [Tok] = []
        var i = 0
        while i < b.count {
            let c = b[i]
            let start = i
            switch c {
            case 0x22:
                i += 1
                while i < b.count && b[i] != 0x22 { if b[i] == 0x5C { i += 1 }; i += 1 }
                i = min(i + 1, b.count)
                out.append(Tok(kind: .string, range: start..<i))
            case 0x2D, 0x30...0x39:
                i += 1
                while i < b.count, [0x2B, 0x2D, 0x2E, 0x45, 0x65].contains(b[i]) || (0x30...0x39).contains(b[i]) { i += 1 }
                out.append(Tok(kind: .number, range: start..<i))
            case 0x7B, 0x7D, 0x5B, 0x5D, 0x3A, 0x2C:
                i += 1
                out.append(Tok(kind: .punct, range: start..<i))
            case 0x20, 0x0A, 0x0D, 0x09:
                while i < b.count, [0x20, 0x0A, 0x0D, 0x09].contains(b[i]) { i += 1 }
                out.append(Tok(kind: .space, range: start..<i))
            case 0x61...0x7A:
                while i < b.count, (0x61...0x7A).contains(b[i]) { i += 1 }
                out.append(Tok(kind: .literal, range: start..<i))
            default:
                i += 1
                out.append(Tok(kind: .other, range: start..<i))
            }
        }
        return out
    }

    static func text(_ b: [UInt8], _ t: Tok) -> String { String(decoding: b[t.range], as: UTF8.self) }

    /// Index of the non-space token after `k`.
    static func nextSolid(_ toks: [Tok], _ k: Int) -> Int? {
        var j = k + 1
        while j < toks.count && toks[j].kind == .space { j += 1 }
        return j < toks.count ? j : nil
    }

    static func prevSolid(_ toks: [Tok], _ k: Int) -> Int? {
        var j = k - 1
        while j >= 0 && toks[j].kind == .space { j -= 1 }
        return j >= 0 ? j : nil
    }

    /// The token index closing the container opened at `k` (or nil).
    static func matching(_ b: [UInt8], _ toks: [Tok], _ k: Int) -> Int? {
        var depth = 0
        for j in k..<toks.count where toks[j].kind == .punct {
            let c = b[toks[j].range.lowerBound]
            if c == 0x7B || c == 0x5B { depth += 1 }
            if c == 0x7D || c == 0x5D { depth -= 1; if depth == 0 { return j } }
        }
        return nil
    }

    /// Keys: string tokens followed by ':'.
    static func keyIndices(_ b: [UInt8], _ toks: [Tok]) -> [Int] {
        toks.indices.filter { k in
            toks[k].kind == .string && nextSolid(toks, k).map { toks[$0].kind == .punct && b[toks[$0].range.lowerBound] == 0x3A } == true
        }
    }

    /// Value string tokens that look like identifiers (ids and op names).
    static func idStrings(_ b: [UInt8], _ toks: [Tok]) -> [Int] {
        let keys = Set(keyIndices(b, toks))
        return toks.indices.filter { k in
            guard toks[k].kind == .string, !keys.contains(k) else { return false }
            let s = text(b, toks[k]).dropFirst().dropLast()
            return !s.isEmpty && s.count < 30 && isIdentifier(String(s))
        }
    }

    /// Value token after the key at `k` (its range through the end of the value).
    static func valueSpan(_ b: [UInt8], _ toks: [Tok], key k: Int) -> Range<Int>? {
        guard let colon = nextSolid(toks, k), let v = nextSolid(toks, colon) else { return nil }
        let c = b[toks[v].range.lowerBound]
        if toks[v].kind == .punct && (c == 0x7B || c == 0x5B) {
            guard let e = matching(b, toks, v) else { return nil }
            return v..<(e + 1)
        }
        return v..<(v + 1)
    }

    static func replace(_ b: [UInt8], _ r: Range<Int>, _ s: String) -> [UInt8] {
        var out = b
        out.replaceSubrange(r, with: Array(s.utf8))
        return out
    }

    static let lookAlikes: [Character: [String]] = [
        "K": ["\u{212A}", "\\u212A", "\u{039A}"], "a": ["\u{0430}", "\\u0430", "a\u{0301}", "\u{00E1}"],
        "e": ["\u{0435}", "e\u{0301}", "\u{00E9}", "\\u00e9"], "o": ["\u{043E}", "\u{03BF}"], "x": ["\u{0445}", "\\u0078", "\u{FF58}"],
        "v": ["\u{03BD}", "\\u0076"], "L": ["\u{216C}", "\\u004C"], "A": ["\u{0391}", "\u{212B}"], "1": ["\u{0661}", "\u{00B9}", "\\u0031"],
        "c": ["\u{0441}"], "p": ["\u{0440}"], "y": ["\u{0443}"], "i": ["\u{0456}", "\u{0131}"], "s": ["\u{0455}", "\u{017F}"],
    ]
    static let keyNames = ModelDecoder.topLevelKeys + ModelDecoder.nodeKeys + ModelDecoder.inputKeys + ModelDecoder.functionKeys
        + ["ouputs", "Nodes", "node", "input", "Id", "opp", "attr", "exp", "\u{0456}d", "o\u{0070}"]
    static let numberForms = ["\"1\"", "[1, 2]", "[[1]]", "1e308", "1e309", "-1e309", "123456789012345678901234567890", "-0", "0.0",
                              "4096", "1e15", "9223372036854775807", "9223372036854775808", "-9223372036854775809", "1099511627777",
                              "16777217", "2.5", "-3", "null", "true", "{}", "[]", "1E400", "0e0", "1e-400", "5e-324", "[4097]",
                              "[4096, 4096]", "[1,2,3,4,5,6,7,8,9,10]", "7", "1.0000000000000002"]

    // MARK: Mutations

    static let mutationNames = ["delByte", "dupByte", "swapByte", "setByte", "delTok", "dupTok", "swapTok", "idToId", "idToLater",
                                "lookAlike", "dupNode", "dropKey", "renameKey", "changeOp", "insertExpr", "number", "truncate",
                                "reorderTop", "dupSpan", "dupKeyMember", "emptyArray", "wrapArray", "idToGenerated", "exprNameToLater", "insertCallNode", "collideGenerated", "renameEverywhere"]

    static func mutate(_ b: [UInt8], kind: Int, rng: inout SeededGenerator, opNames: [String]) -> [UInt8] {
        guard !b.isEmpty else { return b }
        var out = b
        let toks = tokenize(b)
        func pick<T>(_ xs: [T]) -> T? { xs.isEmpty ? nil : xs[Int.random(in: 0..<xs.count, using: &rng)] }
        switch mutationNames[kind] {
        case "delByte":
            out.remove(at: Int.random(in: 0..<b.count, using: &rng))
        case "dupByte":
            let i = Int.random(in: 0..<b.count, using: &rng); out.insert(b[i], at: i)
        case "swapByte":
            guard b.count > 1 else { return b }
            let i = Int.random(in: 0..<(b.count - 1), using: &rng); out.swapAt(i, i + 1)
        case "setByte":
            let bytes: [UInt8] = [0x22, 0x2C, 0x7B, 0x7D, 0x5B, 0x5D, 0x3A, 0x5C, 0x30, 0x2D, 0x2E, 0x65, 0x0A, 0x00, 0xFF, 0xC3, 0x80, 0x61, 0x20]
            out[Int.random(in: 0..<b.count, using: &rng)] = pick(bytes)!
        case "delTok":
            guard let t = pick(toks.filter { $0.kind != .space }) else { return b }
            out.removeSubrange(t.range)
        case "dupTok":
            guard let t = pick(toks.filter { $0.kind != .space }) else { return b }
            out.insert(contentsOf: b[t.range], at: t.range.upperBound)
        case "swapTok":
            let solid = toks.filter { $0.kind != .space }
            guard solid.count > 1 else { return b }
            let i = Int.random(in: 0..<(solid.count - 1), using: &rng)
            let j = Bool.random(using: &rng) ? i + 1 : Int.random(in: (i + 1)..<solid.count, using: &rng)
            let (x, y) = (solid[i].range, solid[j].range)
            out = Array(b[..<x.lowerBound]) + Array(b[y]) + Array(b[x.upperBound..<y.lowerBound]) + Array(b[x]) + Array(b[y.upperBound...])
        case "idToId", "idToLater":
            let ids = idStrings(b, toks)
            guard ids.count > 1 else { return b }
            let a = Int.random(in: 0..<ids.count, using: &rng)
            let other: Int
            if mutationNames[kind] == "idToLater" {
                guard a + 1 < ids.count else { return b }
                // Usually a near-later one (the next few nodes), sometimes far.
                other = Bool.random(using: &rng) ? min(ids.count - 1, a + Int.random(in: 1...12, using: &rng)) : Int.random(in: (a + 1)..<ids.count, using: &rng)
            } else {
                other = Int.random(in: 0..<ids.count, using: &rng)
            }
            out = replace(b, toks[ids[a]].range, text(b, toks[ids[other]]))
        case "lookAlike":
            let ids = idStrings(b, toks) + keyIndices(b, toks)
            let candidates = ids.filter { k in text(b, toks[k]).contains { lookAlikes[$0] != nil } }
            guard let k = pick(candidates) else { return b }
            var s = Array(text(b, toks[k]))
            let positions = s.indices.filter { lookAlikes[s[$0]] != nil }
            let p = pick(positions)!
            let rep = pick(lookAlikes[s[p]]!)!
            s.replaceSubrange(p...p, with: Array(rep))
            out = replace(b, toks[k].range, String(s))
        case "dupNode", "dupSpan":
            // An object (a node when possible) followed by a copy of itself.
            let opens = toks.indices.filter { toks[$0].kind == .punct && b[toks[$0].range.lowerBound] == (mutationNames[kind] == "dupNode" ? 0x7B : 0x5B) }
            let nodeOpens = opens.filter { k in nextSolid(toks, k).map { text(b, toks[$0]) == "\"id\"" || text(b, toks[$0]) == "\"outputs\"" } == true }
            guard let k = pick(nodeOpens.isEmpty || Int.random(in: 0..<4, using: &rng) == 0 ? opens : nodeOpens), let e = matching(b, toks, k) else { return b }
            let span = toks[k].range.lowerBound..<toks[e].range.upperBound
            let copy = Array(b[span])
            // Sometimes right after, sometimes later in the array (after another element).
            var at = span.upperBound
            if Bool.random(using: &rng), let comma = nextSolid(toks, e), b[toks[comma].range.lowerBound] == 0x2C,
               let n = nextSolid(toks, comma), b[toks[n].range.lowerBound] == 0x7B, let ne = matching(b, toks, n) {
                at = toks[ne].range.upperBound
            }
            out.insert(contentsOf: Array(", ".utf8) + copy, at: at)
        case "dropKey":
            let keys = keyIndices(b, toks)
            guard let k = pick(keys), let v = valueSpan(b, toks, key: k) else { return b }
            var lo = toks[k].range.lowerBound, hi = toks[v.upperBound - 1].range.upperBound
            if let c = nextSolid(toks, v.upperBound - 1), b[toks[c].range.lowerBound] == 0x2C { hi = toks[c].range.upperBound }
            else if let c = prevSolid(toks, k), b[toks[c].range.lowerBound] == 0x2C { lo = toks[c].range.lowerBound }
            out.removeSubrange(lo..<hi)
        case "renameKey":
            guard let k = pick(keyIndices(b, toks)) else { return b }
            out = replace(b, toks[k].range, "\"\(pick(keyNames)!)\"")
        case "changeOp":
            let keys = keyIndices(b, toks).filter { text(b, toks[$0]) == "\"op\"" }
            var functionNames: [String] = []
            if let f = keyIndices(b, toks).first(where: { text(b, toks[$0]) == "\"functions\"" }), let v = valueSpan(b, toks, key: f) {
                // The keys one level inside "functions".
                var depth = 0
                for j in v where toks[j].kind != .space {
                    let c = b[toks[j].range.lowerBound]
                    if toks[j].kind == .punct && (c == 0x7B || c == 0x5B) { depth += 1 }
                    if toks[j].kind == .punct && (c == 0x7D || c == 0x5D) { depth -= 1 }
                    if depth == 1, toks[j].kind == .string, let n = nextSolid(toks, j), b[toks[n].range.lowerBound] == 0x3A {
                        functionNames.append(String(text(b, toks[j]).dropFirst().dropLast()))
                    }
                }
            }
            guard let k = pick(keys), let v = valueSpan(b, toks, key: k) else { return b }
            let names = functionNames.isEmpty || Bool.random(using: &rng) ? opNames : functionNames
            out = replace(b, toks[v.lowerBound].range, "\"\(pick(names)!)\"")
        case "insertExpr":
            let opens = toks.indices.filter { toks[$0].kind == .punct && b[toks[$0].range.lowerBound] == 0x7B }
            guard let k = pick(opens) else { return b }
            let ids = idStrings(b, toks).map { String(text(b, toks[$0]).dropFirst().dropLast()) }
            let u = pick(ids) ?? "x", w = pick(ids) ?? "y"
            let exprs = ["\(u) * \(w)", "\(u) + exp(\(w)) * 2", "\(u)", "3", "tanh(\(u)) - \(w) / 2", "\(u) * (", "sum(\(u))", "\(u) @ \(w)", "relu(\(u))", "\(u) ** 2"]
            let member = "\"expr\": \"\(pick(exprs)!)\""
            let e = matching(b, toks, k)
            // At the start of the object, or replacing its "op"/"inputs" (sometimes).
            if Bool.random(using: &rng), let e {
                var inner = Array(b[toks[k].range.upperBound..<toks[e].range.lowerBound])
                for _ in 0..<3 {
                    let itoks = tokenize(inner)
                    guard let key = keyIndices(inner, itoks).last(where: { ["\"op\"", "\"inputs\"", "\"attrs\""].contains(text(inner, itoks[$0])) }),
                          let v = valueSpan(inner, itoks, key: key) else { break }
                    var lo = itoks[key].range.lowerBound, hi = itoks[v.upperBound - 1].range.upperBound
                    if let c = nextSolid(itoks, v.upperBound - 1), inner[itoks[c].range.lowerBound] == 0x2C { hi = itoks[c].range.upperBound }
                    else if let c = prevSolid(itoks, key), inner[itoks[c].range.lowerBound] == 0x2C { lo = itoks[c].range.lowerBound }
                    inner.removeSubrange(lo..<hi)
                }
                let trimmed = String(decoding: inner, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                out = Array(b[..<toks[k].range.upperBound]) + Array((member + (trimmed.isEmpty || trimmed.hasPrefix(",") ? "" : ", ") + trimmed).utf8)
                    + Array(b[toks[e].range.lowerBound...])
            } else {
                out.insert(contentsOf: Array((member + ", ").utf8), at: toks[k].range.upperBound)
            }
        case "number":
            let nums = toks.filter { $0.kind == .number }
            guard let t = pick(nums) else { return b }
            out = replace(b, t.range, pick(numberForms)!)
        case "truncate":
            out = Array(b[..<Int.random(in: 0..<b.count, using: &rng)])
        case "reorderTop", "dupKeyMember":
            // Top-level members: keys at depth 1.
            guard let open = toks.firstIndex(where: { $0.kind != .space }), b[toks[open].range.lowerBound] == 0x7B,
                  let close = matching(b, toks, open) else { return b }
            var members: [Range<Int>] = []
            var k = nextSolid(toks, open)
            while let key = k, key < close, toks[key].kind == .string, let v = valueSpan(b, toks, key: key) {
                members.append(toks[key].range.lowerBound..<toks[v.upperBound - 1].range.upperBound)
                guard let c = nextSolid(toks, v.upperBound - 1), b[toks[c].range.lowerBound] == 0x2C else { break }
                k = nextSolid(toks, c)
            }
            guard members.count > 1 else { return b }
            var texts = members.map { Array(b[$0]) }
            if mutationNames[kind] == "reorderTop" {
                if Bool.random(using: &rng) { texts.shuffle(using: &rng) } else {
                    // Move one member (often "nodes" or "functions") to another place.
                    let i = Int.random(in: 0..<texts.count, using: &rng)
                    let m = texts.remove(at: i)
                    texts.insert(m, at: Int.random(in: 0...texts.count, using: &rng))
                }
            } else {
                texts.insert(texts[Int.random(in: 0..<texts.count, using: &rng)], at: Int.random(in: 0...texts.count, using: &rng))
            }
            let joined = texts.map { String(decoding: $0, as: UTF8.self) }.joined(separator: ",\n ")
            out = Array(b[..<members[0].lowerBound]) + Array(joined.utf8) + Array(b[members.last!.upperBound...])
        case "emptyArray":
            let opens = toks.indices.filter { toks[$0].kind == .punct && (b[toks[$0].range.lowerBound] == 0x5B || b[toks[$0].range.lowerBound] == 0x7B) }
            guard let k = pick(opens), let e = matching(b, toks, k) else { return b }
            out.removeSubrange(toks[k].range.upperBound..<toks[e].range.lowerBound)
        case "wrapArray":
            let solid = toks.filter { $0.kind == .string || $0.kind == .number }
            guard let t = pick(solid) else { return b }
            out = replace(b, t.range, "[" + text(b, t) + "]")
        case "idToGenerated":
            let ids = idStrings(b, toks)
            guard let a = pick(ids), let o = pick(ids) else { return b }
            let base = String(text(b, toks[o]).dropFirst().dropLast())
            out = replace(b, toks[a].range, "\"\(base)\(pick([".1", ".2", ".u", ".x", ".1.1", ".3"])!)\"")
        case "exprNameToLater":
            // A name inside an "expr" string becomes a later id (or a look-alike, or a generated-like name).
            let exprKeys = keyIndices(b, toks).filter { text(b, toks[$0]) == "\"expr\"" }
            guard let k = pick(exprKeys), let v = valueSpan(b, toks, key: k), toks[v.lowerBound].kind == .string else { return b }
            let ids = idStrings(b, toks).filter { $0 > v.lowerBound }.map { String(text(b, toks[$0]).dropFirst().dropLast()) }
            var e = String(text(b, toks[v.lowerBound]).dropFirst().dropLast())
            let words = e.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_" || $0 == ".") }).map(String.init).filter { $0.first!.isLetter }
            guard let w = pick(words) else { return b }
            let rep = pick(ids + [w + ".1", w + "\\u212A", "K", w.uppercased()]) ?? w
            if let r = e.range(of: w) { e.replaceSubrange(r, with: rep) }
            out = replace(b, toks[v.lowerBound].range, "\"\(e)\"")
        case "insertCallNode":
            // A new node (function call / expr / split) inserted before a random node, using ids around it.
            let opens = toks.indices.filter { k in toks[k].kind == .punct && b[toks[k].range.lowerBound] == 0x7B &&
                nextSolid(toks, k).map { text(b, toks[$0]) == "\"id\"" || text(b, toks[$0]) == "\"outputs\"" } == true }
            guard let k = pick(opens) else { return b }
            let all = idStrings(b, toks)
            let before = all.filter { $0 < k }.map { String(text(b, toks[$0]).dropFirst().dropLast()) }
            let after = all.filter { $0 > k }.map { String(text(b, toks[$0]).dropFirst().dropLast()) }
            let u = pick(before) ?? "x", w = pick(before) ?? "y"
            let suffix = pick([".1", ".2", ".3", ".u", ".x", ".1.1"])!
            let nid = pick(["n\(Int.random(in: 0..<1000, using: &rng))", (pick(before) ?? u) + suffix, (pick(before) ?? u) + suffix,
                            (pick(after) ?? u) + suffix, u, "L", "n\(Int.random(in: 0..<1000, using: &rng))" + suffix])!
            let node = pick([
                "{\"id\": \"\(nid)\", \"op\": \"sq\", \"inputs\": [\"\(u)\"]}",
                "{\"id\": \"\(nid)\", \"op\": \"swish\", \"inputs\": [\"\(u)\"]}",
                "{\"id\": \"\(nid)\", \"op\": \"soft\", \"inputs\": [\"\(u)\"]}",
                "{\"id\": \"\(nid)\", \"expr\": \"\(u) * \(w) + 1\"}",
                "{\"id\": \"\(nid)\", \"op\": \"mul\", \"inputs\": [\"\(u)\", 2]}",
                "{\"outputs\": [\"\(nid)\", \"\(nid)b\"], \"op\": \"split\", \"inputs\": [\"\(u)\"], \"attrs\": {\"sizes\": [1, 1]}}",
            ])!
            out.insert(contentsOf: Array((node + ", ").utf8), at: toks[k].range.lowerBound)
        case "collideGenerated":
            // A new node whose id is what an expr/function node (often) generates, placed after or before it.
            let idKeys = keyIndices(b, toks).filter { text(b, toks[$0]) == "\"id\"" }
            let nodeIds: [(open: Int, id: String)] = idKeys.compactMap { k in
                guard let v = nextSolid(toks, nextSolid(toks, k) ?? k), toks[v].kind == .string, let o = prevSolid(toks, k) else { return nil }
                return (o, String(text(b, toks[v]).dropFirst().dropLast()))
            }
            guard nodeIds.count > 1 else { return b }
            let i = Int.random(in: 0..<(nodeIds.count - 1), using: &rng)
            let x = nodeIds[i].id
            let j = Bool.random(using: &rng) ? Int.random(in: (i + 1)..<nodeIds.count, using: &rng) : Int.random(in: 0...i, using: &rng)
            let suffix = pick([".1", ".2", ".3", ".u", ".x", ".1.1", ".4"])!
            let input = j > i ? x : (j > 0 ? nodeIds[j - 1].id : "x0")
            let node = pick(["{\"id\": \"\(x)\(suffix)\", \"op\": \"exp\", \"inputs\": [\"\(input)\"]}",
                             "{\"id\": \"\(x)\(suffix)\", \"expr\": \"\(input) * 2 + 1\"}",
                             "{\"outputs\": [\"\(x)\(suffix)\", \"\(x).9\"], \"op\": \"split\", \"inputs\": [\"p\"], \"attrs\": {\"sizes\": [1, 1]}}"])!
            out.insert(contentsOf: Array((node + ", ").utf8), at: toks[nodeIds[j].open].range.lowerBound)
        case "renameEverywhere":
            // Every occurrence of one id (as a string and as a word of expressions) renamed.
            let ids = idStrings(b, toks).map { String(text(b, toks[$0]).dropFirst().dropLast()) }
            guard let x = pick(ids), let other = pick(ids) else { return b }
            var lookAlike = x
            if let p = lookAlike.firstIndex(where: { lookAlikes[$0] != nil }) { lookAlike.replaceSubrange(p...p, with: pick(lookAlikes[lookAlike[p]]!)!) }
            let y = pick([other + ".1", other + ".2", other + ".u", other, x + "_", "\(x).\(x)", lookAlike, x.uppercased()])!
            var result = ""
            for t in toks {
                var piece = text(b, t)
                if t.kind == .string {
                    let inner = String(piece.dropFirst().dropLast())
                    if inner == x { piece = "\"\(y)\"" }
                    else if inner.contains(x) && inner.contains(where: { " *+-/(".contains($0) }) {
                        // An expression: replace whole words.
                        var words: [String] = []
                        var cur = ""
                        for c in inner {
                            if c.isLetter || c.isNumber || c == "_" || c == "." { cur.append(c) } else { words.append(cur == x ? y : cur); cur = ""; words.append(String(c)) }
                        }
                        words.append(cur == x ? y : cur)
                        piece = "\"" + words.joined() + "\""
                    }
                }
                result += piece
            }
            out = Array(result.utf8)
        default:
            fatalError()
        }
        return out
    }

    // MARK: Seeds

    /// A scalar DAG with newlines, expressions, function calls, split nodes, labels and groups.
    static func generatedDAG(_ n: Int, seed: UInt64, functions: Bool) -> String {
        var rng = SeededGenerator(seed: seed)
        var names = ["x0", "x1", "x2", "x3"]
        var nodes: [String] = []
        for i in 0..<n {
            let a = names[names.count - 1], b = names[max(0, names.count - 1 - Int.random(in: 0..<10, using: &rng))]
            let u = Double.random(in: 0..<1, using: &rng)
            let id = "v\(i)"
            if i == n - 1 {
                nodes.append(#"{"id": "\#(id)", "op": "add", "inputs": ["\#(a)", "\#(b)"]}"#)
            } else if u < 0.1 {
                nodes.append(#"{"id": "\#(id)", "expr": "\#(a) * 0.5 + tanh(\#(b))"}"#)
            } else if u < 0.15 && functions {
                nodes.append(#"{"id": "\#(id)", "op": "sq", "inputs": ["\#(a)"], "group": "g\#(i % 3)"}"#)
            } else if u < 0.2 && functions {
                nodes.append(#"{"id": "\#(id)", "op": "soft", "inputs": ["\#(a)"]}"#)
            } else if u < 0.25 {
                nodes.append(#"{"outputs": ["\#(id)", "w\#(i)"], "op": "split", "inputs": ["p"], "attrs": {"sizes": [1, 1]}}"#)
                names.append(id); names.append("w\(i)")
                continue
            } else if u < 0.35 {
                nodes.append(#"{"id": "\#(id)", "op": "relu", "inputs": ["\#(a)"], "label": "r\#(i)"}"#)
            } else if u < 0.65 {
                nodes.append(#"{"id": "\#(id)", "op": "add", "inputs": ["\#(a)", "\#(b)"]}"#)
            } else {
                nodes.append(#"{"id": "\#(id)", "op": "mul", "inputs": ["\#(a)", 0.5]}"#)
            }
            names.append(id)
        }
        let fs = functions ? #""functions": {"sq": {"params": ["u"], "body": "u * u * 0.1 + u"}, "soft": {"params": ["x"], "forward": "x / (1 + abs(x))", "backward": {"x": "grad / ((1 + abs(x)) * (1 + abs(x)))"}}},"# + "\n" : ""
        return """
        {"gradviz": 1, "name": "gen", "inputs": {"x0": 0.3, "x1": -0.2, "x2": 1.5, "x3": {"value": 0.7, "label": "K"}, "p": [0.1, 0.2]},
        \(fs)"nodes": [
        \(nodes.joined(separator: ",\n"))
        ],
        "outputs": ["v\(n - 1)"]}
        """
    }

    /// Scalars mixed with tensors: cross_entropy nodes (class indices a number mutation can put
    /// out of range), big tensors (> 4096 elements, not computed early), multi-output nodes.
    static func mixedDAG(_ n: Int, seed: UInt64) -> String {
        var rng = SeededGenerator(seed: seed)
        var scalars = ["s0", "s1"]
        var nodes: [String] = []
        for i in 0..<n {
            let a = scalars[scalars.count - 1], b = scalars[max(0, scalars.count - 1 - Int.random(in: 0..<8, using: &rng))]
            let id = "n\(i)"
            switch Int.random(in: 0..<10, using: &rng) {
            case 0: nodes.append(#"{"id": "\#(id)", "op": "cross_entropy", "inputs": ["z", "t"]}"#)
            case 1: nodes.append(#"{"id": "\#(id)", "op": "sum", "inputs": ["big"]}"#)
            case 2: nodes.append(#"{"id": "\#(id)", "expr": "sum(m * \#(a)) + \#(b)"}"#)
            case 3: nodes.append(#"{"id": "\#(id)", "op": "mean", "inputs": ["v"]}"#)
            case 4: nodes.append(#"{"id": "\#(id)", "op": "mul", "inputs": ["\#(a)", "\#(b)"]}"#)
            case 5: nodes.append(#"{"id": "\#(id)", "op": "tanh", "inputs": ["\#(a)"], "group": "blk/\#(i % 4)"}"#)
            default: nodes.append(#"{"id": "\#(id)", "op": "add", "inputs": ["\#(a)", "\#(b)"]}"#)
            }
            scalars.append(id)
        }
        nodes.append(#"{"id": "L", "op": "add", "inputs": ["\#(scalars.last!)", "\#(scalars[scalars.count / 2])"]}"#)
        return """
        {"inputs": {"s0": 0.5, "s1": -1.25, "z": [[1, 2, 3], [0.5, 0.1, -1]], "t": {"value": [2, 0], "grad": false},
         "big": {"shape": [80, 64], "init": "uniform", "low": -1, "high": 1, "seed": 3}, "v": [1, 2, 3, 4], "m": [[1, 2], [3, 4]]},
         "nodes": [\(nodes.joined(separator: ",\n  "))],
         "outputs": ["L"]}
        """
    }

    static func seeds() throws -> [(String, [UInt8])] {
        var out: [(String, [UInt8])] = []
        let paths = SamplesTests.samplePaths + Fixtures.referenceNames.map { Fixtures.path("reference/\($0).json") }
        for p in paths { out.append((URL(fileURLWithPath: p).lastPathComponent, Array(try Data(contentsOf: URL(fileURLWithPath: p))))) }
        out.append(("gen300f", Array(generatedDAG(300, seed: 1, functions: true).utf8)))
        out.append(("gen300", Array(generatedDAG(300, seed: 2, functions: false).utf8)))
        out.append(("gen600f", Array(generatedDAG(600, seed: 3, functions: true).utf8)))
        out.append(("mixed500", Array(mixedDAG(500, seed: 9).utf8)))
        out.append(("mixed300", Array(mixedDAG(300, seed: 10).utf8)))
        out.append(("small", Array(#"{"inputs": {"x": 2, "y": 3}, "nodes": [{"id": "z", "op": "mul", "inputs": ["x", "y"]}, {"id": "L", "op": "add", "inputs": ["z", "x"]}]}"#.utf8)))
        return out
    }
}
