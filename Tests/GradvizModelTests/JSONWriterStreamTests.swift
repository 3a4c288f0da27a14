import Foundation
import XCTest
import GradvizCore
@testable import GradvizModel

/// JSONWriter's direct number formatting (no String per number) and its streamed output
/// (chunks handed to a sink) give exactly the bytes the writer gave before either existed.
final class JSONWriterStreamTests: XCTestCase {
    /// The number text as it was made before the direct formatter: `Double.description`,
    /// `String(Int64)` and the rules of JSONWriter's doc comment.
    static func describedNumber(_ d: Double) -> String {
        if d.isNaN { return "\"NaN\"" }
        if d.isInfinite { return d < 0 ? "\"-Infinity\"" : "\"Infinity\"" }
        if d == 0 && d.sign == .minus { return "-0.0" }
        if abs(d) < 1e15 && Double(Int64(d)) == d { return String(Int64(d)) }
        return d.description
    }

    /// Doubles of every kind: random bit patterns (any exponent), subnormals, powers of ten
    /// and their neighbours, integers around 1e15 and 1e16 where the integral rule stops,
    /// integers of every size, ordinary values, the extremes, zeros, NaN and infinities.
    static func manyDoubles(count: Int) -> [Double] {
        var values: [Double] = [0, -0.0, .nan, -.nan, .infinity, -.infinity, .signalingNaN,
                                .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .leastNormalMagnitude,
                                Double.leastNormalMagnitude.nextDown, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
                                .ulpOfOne, 1 + .ulpOfOne, 0.1, 0.2, 0.3, 0.1 + 0.2, 1.0 / 3, 2.0 / 3, 5e-324, 1.7976931348623157e308,
                                9_007_199_254_740_992, 9_007_199_254_740_993, 123456789.125, 4.35, 0.000001, 1e-7]
        for e in -324...308 {
            let p = Double("1e\(e)")!
            values += [p, -p, p.nextUp, p.nextDown, 2 * p, 5 * p]
        }
        for center in [1e15, 1e16, 1e17, 9_007_199_254_740_992] {
            for k in -40...40 { values += [center + Double(k), -(center + Double(k)), (center + Double(k)).nextUp] }
        }
        for k in 0..<64 { values += [Double(1 << UInt64(k)), -Double(UInt64(1) << UInt64(k)) + 1, Double(UInt64(1) << UInt64(k)) - 1] }
        var rng = TestRandom(seed: 16)
        while values.count < count {
            let bits = rng.next()
            switch values.count % 6 {
            case 0, 1: values.append(Double(bitPattern: bits))                                  // any exponent, NaNs too
            case 2: values.append(Double(bitPattern: bits & 0x800F_FFFF_FFFF_FFFF))             // subnormal
            case 3: values.append(Double(Int64(bitPattern: bits) >> Int64(bits % 64)))          // integers of every size
            case 4: values.append(Double.random(in: -3...3, using: &rng))                        // weights and activations
            default: values.append(Double(Float(bitPattern: UInt32(truncatingIfNeeded: bits))))  // float32 values widened
            }
        }
        return values
    }

    func testNumbersAreWrittenAsDescriptionWritesThem() {
        var mismatches = 0
        for d in Self.manyDoubles(count: 300_000) {
            let expected = Self.describedNumber(d), got = JSONWriter.format(d)
            if got != expected {
                mismatches += 1
                if mismatches <= 10 { XCTFail("bits \(String(d.bitPattern, radix: 16)): wrote \(got), description gives \(expected)") }
            }
            // The shortest formatter alone, on every finite double (also those written as integers).
            if d.isFinite {
                let shortest = JSONWriter.text(capacity: JSONWriter.maxNumberLength) { JSONWriter.formatShortest(d, into: $0) }
                if shortest != d.description {
                    mismatches += 1
                    if mismatches <= 10 { XCTFail("bits \(String(d.bitPattern, radix: 16)): shortest form \(shortest), description \(d.description)") }
                }
            }
        }
        XCTAssertEqual(mismatches, 0)
    }

    func testIntegersAreWrittenAsStringWritesThem() {
        var rng = TestRandom(seed: 5)
        var values: [Int64] = [0, 1, -1, 9, 10, -10, 99, 100, .max, .min, .max - 1, .min + 1]
        while values.count < 20_000 { values.append(Int64(bitPattern: rng.next()) >> Int64(values.count % 64)) }
        for n in values {
            XCTAssertEqual(JSONWriter.text(capacity: JSONWriter.maxIntegerLength) { JSONWriter.formatInteger(n, into: $0) }, String(n))
        }
        var w = JSONWriter()
        w.beginArray(); w.value(Int.min); w.value(0); w.value(42); w.endArray()
        XCTAssertEqual(w.string, "[\(Int.min),0,42]")
    }

    /// A document written through a sink in small chunks is the in-memory document, cut
    /// only between values, each chunk about `chunkSize`.
    func testStreamedChunksMakeTheSameDocument() {
        let numbers = Self.manyDoubles(count: 5_000)
        func document(_ w: inout JSONWriter) {
            w.beginObject()
            w.key("name"); w.value("a \"quoted\"\nname")
            w.key("matrix"); w.tensor(Array(numbers[0..<4_000]), shape: [40, 100])
            w.key("list"); w.beginArray(singleLine: true); w.value(1); w.value(true); w.null(); w.endArray()
            w.key("tree"); w.value(JSONValue.array(numbers[4_000...].map { .number($0) }))
            w.endObject()
        }
        for style in [JSONWriter.Style.compact, .pretty] {
            var whole = JSONWriter(style: style)
            document(&whole)
            let expected = whole.fileBytes()
            for chunkSize in [1, 7, 100, 4096, 1 << 20] {
                var chunks: [[UInt8]] = []
                var streamed = JSONWriter(style: style, chunkSize: chunkSize) { chunks.append(Array($0)); return true }
                document(&streamed)
                XCTAssertTrue(streamed.finishStream())
                XCTAssertEqual(Array(chunks.joined()), expected, "\(style), chunks of \(chunkSize)")
                // Cut between values: every chunk but the last is at least chunkSize and at
                // most one value (here under 40 bytes) longer.
                for chunk in chunks.dropLast() {
                    XCTAssertTrue(chunk.count >= chunkSize && chunk.count < chunkSize + 40, "a chunk of \(chunk.count) bytes for \(chunkSize)")
                }
                XCTAssertEqual(chunks.count, chunkSize >= expected.count ? 1 : chunks.count)
            }
        }
    }

    /// A tensor as the writer's container calls write it, one array and one number at a
    /// time: the layout `tensor` must give, however it formats the numbers.
    static func tensorByCalls(_ w: inout JSONWriter, _ data: ArraySlice<Double>, _ shape: ArraySlice<Int>) {
        if shape.count == 1 {
            w.beginArray(singleLine: true)
            for d in data { w.value(d) }
            return w.endArray()
        }
        let stride = shape.dropFirst().reduce(1, *)
        w.beginArray()
        for k in 0..<shape.first! {
            tensorByCalls(&w, data[(data.startIndex + k * stride)...].prefix(stride), shape.dropFirst())
        }
        w.endArray()
    }

    /// Tensors of every rank and size, large ones (formatted on two threads, in blocks)
    /// included, empty ones too, in both styles, at the top, nested and inside a
    /// single-line record, whole and in chunks: the bytes of the calls one number at a time.
    func testTensorsAreWrittenAsTheCallsWriteThem() {
        // From 16,384 elements on (JSONWriter.parallelMinimum), in blocks of up to 65,536 and
        // a remainder (69,999).
        let numbers = Self.manyDoubles(count: 70_000)
        let shapes = [[1], [7], [3, 4], [2, 3, 4, 5, 6, 7], [2, 0], [0], [0, 3], [3, 0, 2], [1, 1, 1],
                      [16_384], [69_999], [20_000, 1], [1, 33_000], [300, 70], [7, 3, 1_000], [64, 16, 4, 4], [5, 1, 1, 13_001]]
        for style in [JSONWriter.Style.compact, .pretty] {
            for (n, shape) in shapes.enumerated() {
                let data = Array(numbers[..<shape.reduce(1, *)])
                // A large tensor in one of the three places (each is in every style).
                let places = data.count < 10_000 ? 0..<3 : n % 3..<n % 3 + 1
                func document(_ w: inout JSONWriter, byCalls: Bool) {
                    func tensor(_ w: inout JSONWriter, _ place: Int) {
                        guard places.contains(place) else { return w.null() }
                        if byCalls { Self.tensorByCalls(&w, data[...], shape[...]) } else { w.tensor(data, shape: shape) }
                    }
                    w.beginObject()
                    w.key("top"); tensor(&w, 0)
                    w.key("nested"); w.beginArray(); w.beginObject(); w.key("t"); tensor(&w, 1); w.endObject(); w.value(1); w.endArray()
                    w.key("record"); w.beginObject(singleLine: true); w.key("grad"); tensor(&w, 2); w.key("after"); w.value(2); w.endObject()
                    w.endObject()
                }
                var expected = JSONWriter(style: style)
                document(&expected, byCalls: true)
                let want = expected.fileBytes()
                var whole = JSONWriter(style: style)
                document(&whole, byCalls: false)
                XCTAssertEqual(whole.fileBytes(), want, "\(style), \(shape)")
                for chunkSize in data.count < 10_000 ? [1, 1000, 1 << 20] : [1000] {
                    var streamed: [UInt8] = []
                    var w = JSONWriter(style: style, chunkSize: chunkSize) { streamed.append(contentsOf: $0); return true }
                    document(&w, byCalls: false)
                    XCTAssertTrue(w.finishStream())
                    XCTAssertEqual(streamed, want, "\(style), \(shape), chunks of \(chunkSize)")
                }
            }
        }
    }

    /// A sink that fails (a full disk, a closed pipe) is called no more; a long tensor stops
    /// being formatted soon after, and the writer says so.
    func testAFailedSinkStopsTheWriter() {
        var calls = 0
        var w = JSONWriter(style: .pretty, chunkSize: 1000) { _ in calls += 1; return calls < 3 }
        w.beginArray()
        let rows = 10_000
        w.tensor((0..<rows * 10).map { Double($0) + 0.5 }, shape: [rows, 10])
        w.endArray()
        XCTAssertTrue(w.failed)
        XCTAssertFalse(w.finishStream())
        XCTAssertEqual(calls, 3, "no chunk after the failed one")
        XCTAssertLessThan(w.bytes.count, 2000, "what is written after the failure is dropped, not kept")
    }

    /// Every sample's and reference's result, streamed, is the bytes of the in-memory result.
    func testStreamedResultsAreTheResults() throws {
        let paths = SamplesTests.samplePaths + Fixtures.referenceNames.map { Fixtures.path("reference/\($0).json") }
        XCTAssertGreaterThan(paths.count, 20)
        for path in paths {
            let model = try ModelLoader.load(path: path)
            let grads = try model.backward()
            let expected = ResultJSON.write(model, grads)
            for chunkSize in [1, 64, 1 << 20] {
                var streamed: [UInt8] = []
                XCTAssertTrue(ResultJSON.write(model, grads, chunkSize: chunkSize) { streamed.append(contentsOf: $0); return true })
                XCTAssertEqual(streamed, expected, "\(path), chunks of \(chunkSize)")
            }
        }
    }
}
