import CGraphviz
import CGraphvizShim
import Foundation
import UserText

extension GraphvizObject {
    /// An attribute's value, nil when no object of this kind has it. Setting declares the
    /// attribute first if needed (agsafeset), with Graphviz's own default for the other
    /// objects of the kind; setting nil restores that default. The value is a Graphviz
    /// string, for names, numbers and colours: in labels and tooltips `\N`, `\n`, `\l` ...
    /// are escapes and `&...;` character references, and a value with the same text as an
    /// HTML-like label in the graph is read as HTML too. Text goes through `setLabel`.
    public subscript(attribute: String) -> String? {
        get {
            Runtime.shared.locked {
                withCString(attribute) { agget(handle.pointer, $0) }.map { String(cString: $0) }
            }
        }
        nonmutating set {
            Runtime.shared.locked {
                if let newValue {
                    handle.setLocked(attribute, newValue)
                } else {
                    handle.restoreDefaultLocked(attribute)
                }
            }
        }
    }

    /// Shows `text` as written in a plain label (`label`, `xlabel`, a cluster's label) or
    /// a tooltip (an attribute whose name ends in `tooltip`), whatever it holds: `\N` or
    /// `&amp;` in it are not Graphviz escapes or references, and a control character or
    /// noncharacter is shown as `U+XXXX` (`visibleText`). Line feeds break lines.
    public func setLabel(_ text: String, attribute: String = "label") {
        let escaped = attribute.hasSuffix("tooltip") ? escapeForTooltip(text) : escapeForPlainLabel(text)
        Runtime.shared.locked {
            handle.setLocked(attribute, handle.plainTextNotPooledAsHTML(escaped))
        }
    }

    /// Sets an HTML-like label. `html` is the label's content without the outer `<>` of
    /// DOT (`<B>x</B>`, `<TABLE>...</TABLE>`) and must be well-formed: escape text with
    /// `escapeForHTMLLabel`. Malformed markup makes the layout throw.
    public func setHTMLLabel(_ html: String, attribute: String = "label") {
        Runtime.shared.locked {
            let rc = withCString(attribute) { name in
                withCString(html) { html in
                    withCString(handle.declaredDefault(attribute)) { gvshim_set_html(handle.pointer, name, html, $0) }
                }
            }
            assert(rc == 0, "agxset of an HTML-like string failed")
        }
    }
}

extension ObjectHandle {
    var kind: Int32 {
        let kind = agobjkind(pointer)
        return kind == Int32(AGINEDGE) ? Int32(AGEDGE) : kind
    }

    /// The default other objects get when this attribute is declared for one of them.
    /// "" means "unset" to Graphviz for most attributes, but not for a node's label, whose
    /// default is the node's name.
    func declaredDefault(_ attribute: String) -> String {
        kind == Int32(AGNODE) && attribute == "label" ? "\\N" : ""
    }

    func setLocked(_ attribute: String, _ value: String) {
        withCString(attribute) { name in
            withCString(value) { value in
                withCString(declaredDefault(attribute)) { _ = agsafeset(pointer, name, value, $0) }
            }
        }
    }

    func restoreDefaultLocked(_ attribute: String) {
        withCString(attribute) { name in
            guard let symbol = agattrsym(pointer, name) else { return }
            _ = agxset(pointer, symbol, symbol.pointee.defval)
        }
    }

    /// The string pool looks strings up by text alone: a plain value whose text is
    /// already pooled as an HTML-like label would be drawn as HTML. A backslash before a
    /// character that is not an escape letter draws the same in a plain label and makes
    /// the text different. Call with the lock held, on text from `escapeForPlainLabel`.
    func plainTextNotPooledAsHTML(_ text: String) -> String {
        var characters = Array(text)
        var position = 0
        let root = agroot(pointer)!
        while withCString(String(characters), { gvshim_pooled_as_html(root, $0) }) != 0 {
            // Escape letters, backslashes (escaped in runs) and line breaks must stay as they
            // are, and so must the `&amp;` that stands for an ampersand.
            guard let index = characters[position...].firstIndex(where: { !"nlrNGEHTL\\\n\r&amp;".contains($0) })
            else { break }
            characters.insert("\\", at: index)
            position = index + 2
        }
        return String(characters)
    }
}

/// Escapes text for the inside of an HTML-like label, so it is shown as written: `& < > "
/// '` become references and backslashes are doubled (Graphviz expands `\N`, `\G` ... in
/// the text of an HTML-like label after reading its markup). A control character or
/// noncharacter, which XML cannot carry, is shown as `U+XXXX`; so is a line feed, which
/// Graphviz would drop: put `<BR/>` between escaped lines.
public func escapeForHTMLLabel(_ text: String) -> String {
    let text = visibleText(text)
    var escaped = ""
    escaped.reserveCapacity(text.utf8.count)
    for character in text {
        switch character {
        case "&": escaped += "&amp;"
        case "<": escaped += "&lt;"
        case ">": escaped += "&gt;"
        case "\"": escaped += "&quot;"
        case "'": escaped += "&#39;"
        case "\\": escaped += "\\\\"
        default: escaped.append(character)
        }
    }
    return escaped
}

/// The space between two differently styled pieces of an HTML-like label: end the first
/// piece with it, inside its tags, as in `<B>MSE&#160;</B>L`. Graphviz draws each piece
/// as its own SVG `<text>` placed at its own x, and SVG viewers strip the whitespace at
/// both ends of a `<text>` (librsvg strips U+00A0 too): a space opening the second piece
/// (`<B>MSE</B> L`) is lost and the pieces touch ("MSEL"), while a space closing the first
/// one still pushes the second to the right. Inside one piece, plain spaces are fine.
public let htmlLabelSpace = "&#160;"

/// Escapes text for a plain label so it is shown as written. Graphviz reads a plain
/// label in three passes: `\N`, `\G` ... are replaced by names, `&...;` references are
/// decoded, and `\\`, `\n`, `\l` ... become a backslash and line breaks. So a backslash is
/// doubled and `&` written `&amp;`. Control characters and noncharacters other than line
/// feeds are shown as `U+XXXX` (`visibleText`); a line feed breaks the line. Quoting for
/// DOT output is cgraph's job, and the SVG writer escapes `<`, `>` and `&` itself.
public func escapeForPlainLabel(_ text: String) -> String {
    escapeText(text, backslash: "\\\\")
}

/// Escapes text for a tooltip so it is shown as written. Graphviz decodes `&...;`
/// references in a tooltip, then reads `\\` as a backslash (and `\n` as a line feed),
/// then replaces `\N`, `\G` ... and reads `\\` again: a backslash is written as four.
func escapeForTooltip(_ text: String) -> String {
    escapeText(text, backslash: "\\\\\\\\")
}

/// Text with control characters shown, `&` as `&amp;` and each backslash as `backslash`.
private func escapeText(_ text: String, backslash: String) -> String {
    let text = visibleText(text, keepingLineFeeds: true)
    guard text.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "&") }) else { return text }
    var escaped = ""
    escaped.reserveCapacity(text.utf8.count + 8)
    for character in text {
        switch character {
        case "\\": escaped += backslash
        case "&": escaped += "&amp;"
        default: escaped.append(character)
        }
    }
    return escaped
}

/// A graph's, subgraph's or node's name as Graphviz is given it. The SVG writer copies a
/// name into `<title>` with every `&` escaped except one that starts something shaped like
/// a reference (`&e;`, `&#0;`), which it passes on as it is and which is then not XML; so
/// `&` is written `&amp;`, which it passes on. Control characters are shown as `U+XXXX`.
func graphvizName(_ name: String) -> String {
    let name = visibleText(name)
    guard name.utf8.contains(UInt8(ascii: "&")) else { return name }
    return name.replacingOccurrences(of: "&", with: "&amp;")
}
