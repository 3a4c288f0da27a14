import CGraphviz
import CGraphvizShim
import Foundation

extension GraphvizObject {
    /// An attribute's value, nil when no object of this kind has it. Setting declares the
    /// attribute first if needed (agsafeset), with Graphviz's own default for the other
    /// objects of the kind; setting nil restores that default. The value is a Graphviz
    /// string: in labels, `\N`, `\n`, `\l` ... are escapes, and a value with the same text
    /// as an HTML-like label in the graph is read as HTML too (`setLabel` avoids both).
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

    /// Shows `text` literally as a plain label: backslashes are escaped so `\N` or `\l`
    /// in the text are not Graphviz escapes. Newlines break lines.
    public func setLabel(_ text: String, attribute: String = "label") {
        Runtime.shared.locked {
            handle.setLocked(attribute, handle.plainTextNotPooledAsHTML(escapeForPlainLabel(text)))
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
            // Escape letters, backslashes (escaped in pairs) and line breaks must stay as they are.
            guard let index = characters[position...].firstIndex(where: { !"nlrNGEHTL\\\n\r".contains($0) })
            else { break }
            characters.insert("\\", at: index)
            position = index + 2
        }
        return String(characters)
    }
}

/// Escapes text for the inside of an HTML-like label: `& < > " '`. Graphviz drops line
/// breaks in HTML-like text; use `<BR/>` between escaped lines.
public func escapeForHTMLLabel(_ text: String) -> String {
    var escaped = ""
    escaped.reserveCapacity(text.utf8.count)
    for character in text {
        switch character {
        case "&": escaped += "&amp;"
        case "<": escaped += "&lt;"
        case ">": escaped += "&gt;"
        case "\"": escaped += "&quot;"
        case "'": escaped += "&#39;"
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

/// Escapes text for a plain label so it is drawn literally: only backslashes are special
/// there. Quoting for DOT output is cgraph's job (it quotes and escapes `"` itself), and
/// the SVG writer escapes `<`, `>` and `&`.
public func escapeForPlainLabel(_ text: String) -> String {
    text.replacingOccurrences(of: "\\", with: "\\\\")
}
