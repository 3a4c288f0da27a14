import Foundation
import GradvizCore
import UserText

/// What ArgumentParser cannot say well about a command line, said before it parses.
enum Arguments {
    /// The subcommands (and ArgumentParser's `help`).
    static let commands = ["render", "check", "ops", "help"]

    /// `--depth -1` as `--depth=-1`: ArgumentParser takes "-1" for an option and reports a
    /// missing value; attached, the value reaches validation, which says what is wrong.
    static func joiningNegativeNumbers(_ arguments: [String]) -> [String] {
        var out: [String] = []
        var i = 0
        while i < arguments.count {
            let a = arguments[i]
            if a == "--" { out += arguments[i...]; break }
            if a.hasPrefix("--"), a.count > 2, !a.contains("="), i + 1 < arguments.count, isNegativeNumber(arguments[i + 1]) {
                out.append(a + "=" + arguments[i + 1])
                i += 2
                continue
            }
            out.append(a)
            i += 1
        }
        return out
    }

    static func isNegativeNumber(_ s: String) -> Bool { s.count > 1 && s.hasPrefix("-") && Double(s) != nil }

    /// `gradviz chek m.json`: the first word is neither a command nor a file. Without this,
    /// it would be read as the model of the default command and m.json as an extra argument.
    static func checkCommandName(_ arguments: [String]) throws {
        guard let first = arguments.first, !first.hasPrefix("-"), !commands.contains(first),
              !FileManager.default.fileExists(atPath: first) else { return }
        if let near = nearestName(to: first, in: commands) {
            throw UserError("unknown command \(quoted(first)) (did you mean \(quoted(near))?)")
        }
        // A second word that is a file: the first one was meant as a command.
        if !first.contains("."), !first.contains("/"), arguments.count > 1, !arguments[1].hasPrefix("-"),
           FileManager.default.fileExists(atPath: arguments[1]) {
            throw UserError("unknown command \(quoted(first)) (the commands are render, check and ops; gradviz MODEL renders)")
        }
    }

    /// ArgumentParser's message for a usage error as one line: its first line, without the
    /// usage and help lines that follow.
    static func oneLine(_ message: String) -> String {
        var line = message.split(separator: "\n", omittingEmptySubsequences: true).first.map(String.init) ?? message
        if line.hasPrefix("Error: ") { line.removeFirst("Error: ".count) }
        return line
    }
}
