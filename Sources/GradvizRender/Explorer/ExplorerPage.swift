import Foundation

/// The explorer page: one self-contained HTML file holding Graphviz's SVG of the drawing,
/// the model's numbers as JSON, and the script and style that make them explorable.
///
/// Safety: the page's Content-Security-Policy allows its own script and style by hash and
/// nothing else (no remote loads, no other inline script, no event-handler attributes). The
/// only model text in the markup is inside Graphviz's SVG, which escapes it; the JSON is in
/// a `<script type="application/json">` with `<`, `>`, `&`, U+2028 and U+2029 escaped, so
/// no text can end the element; the script builds the DOM from text nodes only.
enum ExplorerPage {
    static var script: String {
        "(function () {\n'use strict';\n" + [scriptCore, scriptView, scriptDetails, scriptSteps, scriptApp].joined(separator: "\n") + "\n})();\n"
    }

    static let skeleton = #"""
<header id="gv-bar">
<strong id="gv-name"></strong>
<span class="gv-search-wrap"><input id="gv-search" type="search" placeholder="search id or label (/)" autocomplete="off" spellcheck="false" role="combobox" aria-label="search a node by id or label, or a folded box by its title" aria-autocomplete="list" aria-controls="gv-matches" aria-expanded="false"><ul id="gv-matches" role="listbox" hidden></ul></span>
<span class="gv-controls"><select id="gv-mode" aria-label="pass to step through"><option value="backward">backward pass</option><option value="forward">forward pass</option></select>
<button id="gv-prev" title="previous step (←)">‹ prev</button><button id="gv-play" title="play / pause (space)">▶ play</button><button id="gv-next" title="next step (→)">next ›</button>
<span id="gv-step-label" aria-live="polite"></span></span>
<span class="gv-controls"><button id="gv-zoom-out" title="zoom out (−)">−</button><button id="gv-fit" title="fit to window (0)">fit</button><button id="gv-zoom-in" title="zoom in (+)">+</button></span>
<label class="gv-controls">edges <select id="gv-edges"><option value="both">both</option><option value="forward">forward</option><option value="backward">backward</option></select></label>
<span class="gv-controls" title="highlight the selection's ancestors or descendants"><label><input type="checkbox" id="gv-ancestors"> ↑ ancestors</label><label><input type="checkbox" id="gv-descendants"> ↓ descendants</label></span>
<button id="gv-theme" title="light or dark theme"></button>
</header>
<main>
<div id="gv-viewport" tabindex="0" aria-label="the graph: drag to pan, wheel or pinch to zoom, click a node or an edge"><div id="gv-canvas">
"""#

    static let sidebar = #"""
</div></div>
<aside id="gv-side">
<div id="gv-details" aria-live="polite"></div>
<div id="gv-groups-box" hidden><h3>Groups <button id="gv-collapse-all">collapse all</button><button id="gv-expand-all">expand all</button></h3><ul id="gv-groups"></ul></div>
<div class="gv-keys">← → step · space play/pause · + − zoom · 0 fit · ↑ ↓ shift+← → pan · / search · esc clear · drag to pan, wheel or pinch to zoom</div>
</aside>
</main>
"""#

    /// The whole page. `svg` is Graphviz's SVG output; `data` the JSON of `ExplorerData`.
    static func assemble(svg: [UInt8], data: [UInt8]) -> [UInt8] {
        let script = Array(self.script.utf8), style = Array(self.style.utf8)
        let csp = "default-src 'none'; script-src 'sha256-\(SHA256.base64(script))'; style-src 'sha256-\(SHA256.base64(style))'; "
            + "img-src data:; base-uri 'none'; form-action 'none'"
        var out: [UInt8] = []
        out.reserveCapacity(svg.count + data.count + script.count + 16384)
        out += Array("""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="\(csp)">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="generator" content="gradviz">
            <title>gradviz</title>
            <style>
            """.utf8)
        out += style
        out += Array("</style>\n</head>\n<body>\n".utf8)
        out += Array(skeleton.utf8)
        out += inlineSVG(svg)
        out += Array(sidebar.utf8)
        out += Array("<script type=\"application/json\" id=\"gv-data\">".utf8)
        out += scriptSafeJSON(data)
        out += Array("</script>\n<script>".utf8)
        out += script
        out += Array("</script>\n</body>\n</html>\n".utf8)
        return out
    }

    /// Graphviz's SVG without its XML declaration, doctype and comments, to sit inside HTML.
    static func inlineSVG(_ svg: [UInt8]) -> [UInt8] {
        let open = Array("<svg".utf8), commentStart = Array("<!--".utf8), commentEnd = Array("-->".utf8)
        func matches(_ pattern: [UInt8], at i: Int) -> Bool {
            i + pattern.count <= svg.count && svg[i..<i + pattern.count].elementsEqual(pattern)
        }
        var i = 0
        while i < svg.count && !matches(open, at: i) {
            if matches(commentStart, at: i) {
                while i < svg.count && !matches(commentEnd, at: i) { i += 1 }
            }
            i += 1
        }
        var out: [UInt8] = []
        out.reserveCapacity(svg.count - i)
        while i < svg.count {
            if matches(commentStart, at: i) {
                while i < svg.count && !matches(commentEnd, at: i) { i += 1 }
                i += commentEnd.count
                if i < svg.count && svg[i] == 0x0A { i += 1 }
                continue
            }
            out.append(svg[i])
            i += 1
        }
        return out
    }

    /// JSON that can sit inside `<script>`: `<`, `>` and `&` as \u escapes (so no `</script>`
    /// or `<!--` can appear), and U+2028/U+2029 too. These only ever occur inside strings.
    static func scriptSafeJSON(_ json: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(json.count + json.count / 50)
        var i = 0
        while i < json.count {
            let c = json[i]
            switch c {
            case UInt8(ascii: "<"): out += Array("\\u003c".utf8)
            case UInt8(ascii: ">"): out += Array("\\u003e".utf8)
            case UInt8(ascii: "&"): out += Array("\\u0026".utf8)
            case 0xE2 where i + 2 < json.count && json[i + 1] == 0x80 && (json[i + 2] == 0xA8 || json[i + 2] == 0xA9):
                out += Array((json[i + 2] == 0xA8 ? "\\u2028" : "\\u2029").utf8)
                i += 2
            default: out.append(c)
            }
            i += 1
        }
        return out
    }
}
