import XCTest
@testable import GradvizModel

/// The loader's table of ids hashes them its own way; it must still behave as a dictionary
/// of Strings does.
final class IdTableTests: XCTestCase {
    func testFindsWhatItKeeps() {
        var table = IdTable<Int>()
        // Short (stored inline) and long ids, non-ASCII ones, and ids differing in one byte.
        let ids = (0..<5000).map { "v\($0)" } + ["", "x", "a_very_long_identifier_name.with.dots", "ünïcode", "v1 ", "V1"]
        for (k, id) in ids.enumerated() { XCTAssertNil(table.updateValue(k, forKey: id)) }
        XCTAssertEqual(table.count, ids.count)
        for (k, id) in ids.enumerated() { XCTAssertEqual(table[id], k, id) }
        XCTAssertNil(table["v5000"])
        XCTAssertEqual(table.updateValue(-1, forKey: "x"), 5001)
        table["v7", default: 0] += 100
        table["new", default: -3] -= 2
        XCTAssertEqual(table["v7"], 107)
        XCTAssertEqual(table["new"], -5)
        XCTAssertEqual(table.ids { $0 < 0 }.sorted(), ["new", "x"])
    }

    func testEqualIdsHashAlike() {
        let a = IdTable<Int>.Key(id: "layer.1"), b = IdTable<Int>.Key(id: String("layer.1x".dropLast()))
        XCTAssertEqual(a, b)
        XCTAssertEqual(a._rawHashValue(seed: 42), b._rawHashValue(seed: 42))
        XCTAssertEqual(a.hashValue, b.hashValue)
        XCTAssertNotEqual(a._rawHashValue(seed: 1), IdTable<Int>.Key(id: "layer.2")._rawHashValue(seed: 1))
    }

    /// String's == matches canonically equivalent spellings, which hash apart here: the
    /// table matches bytes, so such a lookup misses every time rather than by chance.
    func testLookAlikesAreDifferentIds() {
        let k = IdTable<Int>.Key(id: "K"), kelvin = IdTable<Int>.Key(id: "\u{212A}")
        XCTAssertNotEqual(k, kelvin)
        var found = 0
        for _ in 0..<200 {
            var table = IdTable<Int>()
            table["K"] = 1
            table["a"] = 2
            if table["\u{212A}"] != nil { found += 1 }
            XCTAssertEqual(table["K"], 1)
        }
        XCTAssertEqual(found, 0)
    }
}
