/// Text from a model shown to a person: in a one-line message, on a terminal, in a
/// drawing. A model may hold any character JSON can escape, and some of them must not
/// reach a terminal or a drawing as they are: a line feed splits a one-line message (and
/// can forge a second `gradviz: file:1:1:` line), ESC drives the terminal, NUL ends a C
/// string, and XML has no way at all to carry most control characters or U+FFFE.
///
/// Such a character is shown as `U+XXXX` (hex, at least four digits), the form gradviz's
/// JSON and expression messages already use for a single character. Escaped: control
/// characters (U+0000-U+001F, U+007F-U+009F), the line and paragraph separators
/// U+2028/U+2029, the bidirectional controls (U+061C, U+200E, U+200F, U+202A-U+202E,
/// U+2066-U+2069), which reorder what a terminal shows, and noncharacters (U+FDD0-U+FDEF,
/// U+FFFE, U+FFFF and the last two of every plane). Everything else, backslashes
/// included, is shown as written.
public func visibleText(_ text: some StringProtocol, keepingLineFeeds: Bool = false) -> String {
    // Most text has nothing to escape, as one pass over its bytes tells: printable ASCII,
    // line feeds when kept, and UTF-8 continuation bytes. A lead byte of 0xC2 or more may
    // start a C1 control, a separator, a bidi control or a noncharacter: look closer.
    var plain = true
    for byte in text.utf8 where !(0x20..<0x7F).contains(byte) && !(0x80..<0xC2).contains(byte) {
        if byte == 0x0A && keepingLineFeeds { continue }
        plain = false
        break
    }
    if plain { return String(text) }
    var out = ""
    out.reserveCapacity(text.utf8.count + 8)
    for scalar in text.unicodeScalars {
        if isShownEscaped(scalar) && !(keepingLineFeeds && scalar == "\n") {
            out += codePointName(scalar)
        } else {
            out.unicodeScalars.append(scalar)
        }
    }
    return out
}

/// User text inside a message: in single quotes, every character that could split the
/// line or drive a terminal shown as `U+XXXX` (`visibleText`). Every message that embeds
/// text from a model (ids, op names, keys, labels) quotes it with this.
public func quoted(_ text: some StringProtocol) -> String {
    "'" + visibleText(text) + "'"
}

/// "U+001B", "U+1FFFE".
public func codePointName(_ scalar: Unicode.Scalar) -> String {
    let hex = String(scalar.value, radix: 16, uppercase: true)
    return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
}

/// Whether `visibleText` shows this character as `U+XXXX`.
public func isShownEscaped(_ scalar: Unicode.Scalar) -> Bool {
    let v = scalar.value
    switch v {
    case 0x00...0x1F, 0x7F...0x9F: return true             // control characters
    case 0x2028, 0x2029: return true                        // line and paragraph separators
    case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: return true   // bidi controls
    case 0xFDD0...0xFDEF: return true                       // noncharacters
    default: return v & 0xFFFE == 0xFFFE                    // U+FFFE, U+FFFF, U+1FFFE, ...
    }
}
