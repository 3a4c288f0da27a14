import Foundation
import XCTest
import GradvizCore
import GradvizModel

/// A model file or model text loaded and differentiated: what every drawing test starts from.
extension XCTestCase {
    func load(_ url: URL) throws -> (Model, Gradients) {
        let model = try ModelLoader.load(path: url.path)
        return (model, try model.backward())
    }

    func load(json: String) throws -> (Model, Gradients) {
        let model = try ModelLoader(file: "test.json").load(Array(json.utf8))
        return (model, try model.backward())
    }
}
