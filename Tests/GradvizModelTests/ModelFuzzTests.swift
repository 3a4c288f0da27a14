import Foundation
import XCTest
@testable import GradvizModel
import GradvizCore

/// Mutants of the samples, references and generated DAGs (`Mutants`) load with a result or
/// with one clean line naming the file, never a crash, and the same way every time. A fixed
/// seed and a few hundred mutants in the suite; more with FUZZ_COUNT and FUZZ_SEED. With
/// FUZZ_OUT=dir each mutant is written to dir/current.json before it runs, so a crash or a
/// hang leaves it behind.
final class ModelFuzzTests: XCTestCase {
    enum Outcome: Equatable {
        case success([UInt8])
        case failure(String)
    }

    static func run(_ bytes: [UInt8]) -> Outcome {
        do {
            let model = try ModelLoader(file: "m.json").load(bytes)
            return .success(ResultJSON.write(model, try model.backward()))
        } catch let error as ModelError {
            return .failure(error.description)
        } catch {
            return .failure("not a ModelError: \(error)")
        }
    }

    func testMutantsLoadOrFailCleanly() throws {
        let env = ProcessInfo.processInfo.environment
        let count = Int(env["FUZZ_COUNT"] ?? "") ?? 300
        let seed = UInt64(env["FUZZ_SEED"] ?? "") ?? 12345
        let outDir = env["FUZZ_OUT"]
        if let outDir { try? FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true) }
        let seeds = try Mutants.seeds()
        let opNames = OpRegistry.names
        var rng = SeededGenerator(seed: seed)
        var loaded = 0
        for n in 0..<count {
            let (seedName, base) = seeds[Int.random(in: 0..<seeds.count, using: &rng)]
            var bytes = base
            var kinds: [String] = []
            for _ in 0..<[1, 1, 1, 1, 2, 2, 3][Int.random(in: 0..<7, using: &rng)] {
                // Truncation and byte noise rarely: most mutants should stay JSON.
                var k = Int.random(in: 0..<Mutants.mutationNames.count, using: &rng)
                while ["truncate", "delByte", "dupByte", "swapByte", "setByte", "delTok", "dupTok", "swapTok"].contains(Mutants.mutationNames[k]),
                      Int.random(in: 0..<3, using: &rng) != 0 {
                    k = Int.random(in: 0..<Mutants.mutationNames.count, using: &rng)
                }
                bytes = Mutants.mutate(bytes, kind: k, rng: &rng, opNames: opNames)
                kinds.append(Mutants.mutationNames[k])
            }
            let label = "#\(n) \(seedName) [\(kinds.joined(separator: ","))]"
            if let outDir { _ = FileManager.default.createFile(atPath: "\(outDir)/current.json", contents: Data(bytes)) }
            let outcome = Self.run(bytes)
            switch outcome {
            case .success: loaded += 1
            case .failure(let message):
                XCTAssertTrue(message.hasPrefix("m.json"), "\(label): \(message)")
                XCTAssertFalse(message.hasPrefix("m.json: not a ModelError"), "\(label): \(message)")
            }
            if n % 10 == 0 { XCTAssertEqual(outcome, Self.run(bytes), "\(label): a second load differs") }
        }
        XCTAssertGreaterThan(loaded, count / 20, "too few mutants load: the mutations are too coarse to reach the planner's checks")
    }

    func testFuzzSeedsLoad() throws {
        for (name, bytes) in try Mutants.seeds() {
            guard case .success = Self.run(bytes) else { return XCTFail("\(name) does not load: \(Self.run(bytes))") }
        }
    }
}
