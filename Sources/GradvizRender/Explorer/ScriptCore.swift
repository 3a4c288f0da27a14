extension ExplorerPage {
    /// The page's script, part 1: reading the embedded data, numbers as the drawing writes
    /// them, and the index from model nodes to SVG elements.
    ///
    /// All model text reaches the page through `text()` (text nodes) or `textContent`;
    /// nothing here ever assigns innerHTML.
    static let scriptCore = #"""
const data = JSON.parse(document.getElementById('gv-data').textContent);
const nodes = data.nodes;
const P = data.precision;
const COLLAPSE_AT = 200;  // drawn nodes past which groups start collapsed (see docs/explorer.md)

// ---- numbers ------------------------------------------------------------------------
// JSON has no NaN or infinities: the file writes them as strings.
function num(x) { return typeof x === 'string' ? Number(x) : x; }

// %g with P significant digits, as the drawing prints numbers ("1e-7", not "1e-07").
function fmt(x) {
  x = num(x);
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  if (x === 0) return '0';
  let e = Math.floor(Math.log10(Math.abs(x)));
  const rounded = Number(x.toPrecision(P));
  if (rounded !== 0) e = Math.floor(Math.log10(Math.abs(rounded)));
  if (e < -4 || e >= P) {
    let [m, ex] = rounded.toExponential(P - 1).split('e');
    if (m.includes('.')) m = m.replace(/0+$/, '').replace(/\.$/, '');
    return m + 'e' + (ex[0] === '-' ? '-' : '') + ex.replace(/^[+-]/, '');
  }
  let s = rounded.toFixed(Math.max(0, P - 1 - e));
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  return s;
}

// ---- tensors: a number (shape []) or {shape, data[, count, min, mean, max, norm]} -------
function T(t) {
  if (t === null || t === undefined) return null;
  if (typeof t !== 'object') return { shape: [], data: [num(t)], count: 1, partial: false };
  const d = t.data.map(num);
  const count = t.count === undefined ? d.length : t.count;
  const out = { shape: t.shape, data: d, count: count, partial: count > d.length };
  if (out.partial) Object.assign(out, { min: num(t.min), mean: num(t.mean), max: num(t.max), norm: num(t.norm), nonfinite: t.nonfinite });
  return out;
}
function shapeText(shape) { return shape.length ? shape.join('×') : 'scalar'; }
function isScalar(t) { return t.count === 1; }
function stats(t) {
  if (t.partial) return t;
  let lo = Infinity, hi = -Infinity, sum = 0, sq = 0, finite = 0;
  for (const x of t.data) {
    sq += x * x;
    if (!Number.isFinite(x)) continue;
    lo = Math.min(lo, x); hi = Math.max(hi, x); sum += x; finite++;
  }
  return { min: finite ? lo : NaN, mean: finite ? sum / finite : NaN, max: finite ? hi : NaN,
           norm: Math.sqrt(sq), nonfinite: t.data.length - finite };
}
// One line: the number, the elements of a tiny tensor, or shape and norm.
function brief(t) {
  if (!t) return '—';
  if (isScalar(t) && !t.shape.length) return fmt(t.data[0]);
  if (t.count <= 4 && !t.partial) return (t.shape.length > 1 ? shapeText(t.shape) + ' ' : '') + '[' + t.data.map(fmt).join(', ') + ']';
  return shapeText(t.shape) + ' ‖' + fmt(stats(t).norm) + '‖';
}
function statsLine(t) {
  const s = stats(t);
  let line = 'shape ' + shapeText(t.shape) + ' · min ' + fmt(s.min) + ' · mean ' + fmt(s.mean) + ' · max ' + fmt(s.max) + ' · norm ' + fmt(s.norm);
  if (s.nonfinite) line += ' · ' + s.nonfinite + ' NaN/Inf';
  return line;
}
function multiIndex(flat, shape) {
  const idx = [];
  for (let i = shape.length - 1; i >= 0; i--) { idx.unshift(flat % shape[i]); flat = Math.floor(flat / shape[i]); }
  return '[' + idx.join(', ') + ']';
}
function addTensors(a, b) {
  if (!a) return b;
  if (!b) return a;
  if (a.partial || b.partial || a.data.length !== b.data.length) return null;
  return { shape: a.shape, data: a.data.map((x, i) => x + b.data[i]), count: a.count, partial: false };
}
function signed(text, first) { return first ? text : (text[0] === '-' ? '- ' + text.slice(1) : '+ ' + text); }

// ---- the model's values ---------------------------------------------------------------
// A value is "node:output".
const vkey = (n, k) => n + ':' + k;
const valueName = (n, k) => nodes[n].names[k] || (nodes[n].id + '.' + k);
const valueNode = new Map();   // value name -> [node, output]
const nodeById = new Map();    // node id (ids joined by ",") -> node
nodes.forEach((node, n) => {
  nodeById.set(node.id, n);
  node.names.forEach((name, k) => { if (name) valueNode.set(name, [n, k]); });
  node.value = node.value.map(T);
  node.grad = node.grad.map(T);
  (node.inputs || []).forEach(i => { i.grad = T(i.grad); });
});
function title(n) { return nodes[n].label || nodes[n].id; }
function opCall(n) {
  const node = nodes[n];
  return node.op + '(' + node.inputs.map(i => i.slot + ' = ' + valueName(i.node, i.out)).join(', ') + ')';
}

// Uses of every value: [consumer, slot] in graph order.
const uses = new Map();
nodes.forEach((node, n) => (node.inputs || []).forEach((i, slot) => {
  const key = vkey(i.node, i.out);
  if (!uses.has(key)) uses.set(key, []);
  uses.get(key).push([n, slot]);
}));
const seeds = new Map(data.outputs.map(o => [vkey(o.node, o.out), T(o.seed)]));

// The gradient terms that sum into a value, in the order the engine adds them: the seed
// first, then the uses from the last consumer to the first (the backward pass runs in
// reverse topological order).
function sumTerms(n, k) {
  const key = vkey(n, k), terms = [];
  if (seeds.has(key) && nodes[n].grad[k]) terms.push({ label: 'seed of output ' + valueName(n, k), grad: seeds.get(key), consumer: -1 });
  const list = (uses.get(key) || []).slice().reverse();
  for (const [c, slot] of list) {
    const g = nodes[c].inputs[slot].grad;
    if (g) terms.push({ label: title(c) + ' (' + nodes[c].inputs[slot].slot + ')', grad: g, consumer: c, slot: slot });
  }
  return terms;
}

// ---- the drawing ----------------------------------------------------------------------
const canvas = document.getElementById('gv-canvas');
const svg = canvas.querySelector('svg');
const graphRoot = svg ? svg.querySelector('g.graph') : null;
// SVG element -> what it shows: {type: node|output|sum|ref|edge|folded, n, k, slot, dir}
const elementInfo = new Map();
const nodeElement = new Map();   // model node -> its <g class="node">
const summaryElement = new Map(); // summary of folded structure -> its node
// Where a node is in the drawing: its own element, or the summary box that holds it.
function drawnElement(n) { return nodeElement.get(n) || (nodes[n].folded !== undefined ? summaryElement.get(nodes[n].folded) : undefined); }
const outputElement = new Map(); // value key -> output node element
const sumElement = new Map();    // value key -> Σ node element
const edgeElements = new Map();  // "n:slot" -> [forward, backward] edge elements
const outEdgeElements = new Map(); // value key -> its output's edges
const sumEdgeElement = new Map();  // value key -> Σ-to-value edge
// The plan's list of SVG elements ([id, role, node, output, consumer, slot]) says what
// each one shows; nothing is guessed from ids.
function indexDrawing() {
  if (!svg) return;
  const push = (map, key, el) => { if (!map.has(key)) map.set(key, []); map.get(key).push(el); };
  for (const [id, role, n, k, consumer, slot] of data.elements) {
    const el = document.getElementById(id);
    if (!el) continue;
    const key = vkey(n, k);
    let info;
    switch (role) {
      case 'input': case 'op': case 'port': info = { type: 'node', n: n }; nodeElement.set(n, el); break;
      case 'output': info = { type: 'output', n: n, k: k }; outputElement.set(key, el); break;
      case 'sum': info = { type: 'sum', n: n, k: k }; sumElement.set(key, el); break;
      case 'reference': info = { type: 'ref', n: n, k: k, consumer: consumer, slot: slot }; break;
      case 'summary': info = { type: 'folded', s: n }; if (n >= 0) summaryElement.set(n, el); break;
      case 'folded-forward': case 'folded-backward': info = { type: 'foldedEdge', n: n, k: k, s: consumer, dir: role[7] }; break;
      case 'forward': case 'backward':
        info = { type: 'edge', n: consumer, slot: slot, dir: role[0] };
        push(edgeElements, consumer + ':' + slot, el);
        break;
      case 'output-edge': case 'seed': info = { type: 'output', n: n, k: k, edge: true }; push(outEdgeElements, key, el); break;
      case 'sum-total': info = { type: 'sum', n: n, k: k, edge: true }; sumEdgeElement.set(key, el); break;
      default: continue;
    }
    elementInfo.set(el, info);
  }
}
"""#
}
