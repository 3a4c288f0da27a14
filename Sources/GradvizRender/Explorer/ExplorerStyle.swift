extension ExplorerPage {
    /// The page's style sheet. Fonts are the system's (no remote fonts: the page loads
    /// nothing).
    static let style = #"""
:root { --bg: #ffffff; --fg: #1a1a1a; --muted: #666; --panel: #f6f7f9; --line: #d6d9de; --accent: #2563eb;
        --current: #e11d48; --selected: #f59e0b; --good: #15803d; --bad: #dc2626; --warn: #a16207; }
body.gv-dark { --bg: #17181a; --fg: #e5e5e5; --muted: #a3a3a3; --panel: #222428; --line: #3a3d42; --accent: #60a5fa;
               --current: #fb7185; --selected: #fbbf24; --good: #4ade80; --bad: #f87171; --warn: #facc15; }
html, body { margin: 0; height: 100%; }
body { display: flex; flex-direction: column; background: var(--bg); color: var(--fg);
       font: 13px/1.4 "DejaVu Sans", "Segoe UI", Helvetica, Arial, sans-serif; }
button, select, input { font: inherit; color: inherit; background: var(--panel); border: 1px solid var(--line); border-radius: 4px; padding: 2px 7px; }
button:hover { border-color: var(--accent); }
button:focus-visible, select:focus-visible, input:focus-visible, #gv-viewport:focus-visible { outline: 2px solid var(--accent); outline-offset: 1px; }
#gv-bar { display: flex; flex-wrap: wrap; gap: 6px 10px; align-items: center; padding: 6px 10px; border-bottom: 1px solid var(--line); background: var(--panel); }
#gv-name { font-weight: bold; max-width: 22em; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.gv-controls { display: inline-flex; gap: 4px; align-items: center; }
#gv-step-label { color: var(--muted); min-width: 11em; }
.gv-search-wrap { position: relative; }
#gv-search { width: 13em; }
#gv-matches { position: absolute; z-index: 10; left: 0; top: 100%; margin: 2px 0 0; padding: 2px 0; list-style: none; min-width: 100%;
              max-height: 60vh; overflow: auto; background: var(--bg); border: 1px solid var(--line); border-radius: 4px; box-shadow: 0 4px 12px rgba(0,0,0,.15); }
#gv-matches li { padding: 2px 8px; cursor: pointer; white-space: nowrap; }
#gv-matches li.gv-active, #gv-matches li:hover { background: var(--panel); }
.gv-match { font-weight: bold; }
.gv-muted, .gv-index { color: var(--muted); }
main { flex: 1; display: flex; min-height: 0; }
#gv-viewport { flex: 1; position: relative; overflow: hidden; cursor: grab; touch-action: none; background: var(--bg); }
#gv-viewport.gv-dragging { cursor: grabbing; }
#gv-canvas { position: absolute; left: 0; top: 0; transform-origin: 0 0; will-change: transform; }
#gv-canvas svg { display: block; }
#gv-side { width: 400px; max-width: 45vw; display: flex; flex-direction: column; border-left: 1px solid var(--line); background: var(--panel); min-height: 0; }
#gv-details { flex: 1; overflow: auto; padding: 8px 12px; min-height: 0; }
#gv-details h2 { font-size: 15px; margin: 4px 0 6px; word-break: break-word; }
#gv-details h3 { font-size: 12px; margin: 10px 0 4px; color: var(--muted); text-transform: none; }
.gv-line { margin: 2px 0; word-break: break-word; }
.gv-note { margin: 4px 0; padding: 4px 6px; border-left: 3px solid var(--warn); color: var(--muted); }
.gv-tensor { margin: 3px 0 6px; }
.gv-elements { max-height: 180px; overflow: auto; font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12px;
               white-space: pre; background: var(--bg); border: 1px solid var(--line); border-radius: 3px; padding: 3px 6px; margin-top: 2px; }
.gv-check { margin: 4px 0 8px; padding: 4px 6px; border-left: 3px solid var(--good); }
.gv-check-fail, .gv-check-nonfinite { border-left-color: var(--bad); }
button.gv-check-fail, button.gv-check-nonfinite { color: var(--bad); }
.gv-check-unchecked { border-left-color: var(--line); }
.gv-why { color: var(--muted); }
.gv-link { border: none; background: none; padding: 1px 2px; cursor: pointer; text-align: left; }
.gv-link:hover { text-decoration: underline; }
#gv-groups-box { border-top: 1px solid var(--line); padding: 4px 12px; max-height: 30%; overflow: auto; }
#gv-groups-box h3 { font-size: 12px; margin: 4px 0; display: flex; gap: 6px; align-items: center; }
#gv-groups { list-style: none; margin: 0; padding: 0; }
.gv-keys { border-top: 1px solid var(--line); padding: 4px 12px; color: var(--muted); font-size: 11px; }
[hidden], .gv-hidden { display: none !important; }

/* The drawing: Graphviz's SVG, restyled only through classes. */
.gv-inverted svg { filter: invert(1) hue-rotate(180deg); }
.gv-hide-forward g.edge.forward, .gv-hide-backward g.edge.backward, .gv-hide-backward g.node.sum { display: none; }
#gv-canvas g.node, #gv-canvas g.edge, #gv-canvas g.cluster, .gv-collapsed { cursor: pointer; }
#gv-canvas g.edge path { pointer-events: visibleStroke; }
.gv-dimming g.node:not(.gv-lit), .gv-dimming g.edge:not(.gv-lit) { opacity: 0.18; }
.gv-stepping g.node:not(.gv-current):not(.gv-done), .gv-stepping g.edge:not(.gv-step-edge):not(.gv-done) { opacity: 0.3; }
g.gv-selected > polygon, g.gv-selected > path, g.gv-selected > ellipse, g.gv-selected a > path, g.gv-selected a > polygon, g.gv-selected > rect { stroke: var(--selected); stroke-width: 3.5px; }
g.node.gv-current polygon, g.node.gv-current path { stroke: var(--current); stroke-width: 4px; }
g.edge.gv-step-edge path { stroke-width: 3px; }
g.edge.gv-step-edge text { font-weight: bold; }
.gv-collapsed rect { fill: #eef2ff; stroke: #6366f1; stroke-width: 2px; }
.gv-collapsed text { font: bold 14px "DejaVu Sans", sans-serif; fill: #1e1b4b; }
.gv-collapsed text.gv-collapsed-sub { font: 11px "DejaVu Sans", sans-serif; fill: #4b5563; }
.gv-drawn-dark .gv-collapsed rect { fill: #1e1b4b; stroke: #818cf8; }
.gv-drawn-dark .gv-collapsed text { fill: #e0e7ff; }
.gv-drawn-dark .gv-collapsed text.gv-collapsed-sub { fill: #c7d2fe; }
"""#
}
