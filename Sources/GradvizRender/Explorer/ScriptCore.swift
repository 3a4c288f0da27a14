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
const outputElement = new Map(); // value key -> output node element
const sumElement = new Map();    // value key -> Σ node element
const edgeElements = new Map();  // "n:slot" -> [forward, backward] edge elements
const outEdgeElements = new Map(); // value key -> its output's edges
const sumEdgeElement = new Map();  // value key -> Σ-to-value edge
function indexDrawing() {
  if (!svg) return;
  for (const g of svg.querySelectorAll('g.node, g.edge')) {
    const parts = g.id.split('-');
    let info = null;
    if (g.id.startsWith('node-') && nodeById.has(g.id.slice(5))) {
      const n = nodeById.get(g.id.slice(5));
      info = { type: 'node', n: n };
      nodeElement.set(n, g);
    } else if (parts[0] === 'output' || parts[0] === 'sum') {
      const v = valueNode.get(g.id.slice(parts[0].length + 1));
      if (v) {
        info = { type: parts[0], n: v[0], k: v[1] };
        (parts[0] === 'output' ? outputElement : sumElement).set(vkey(v[0], v[1]), g);
      }
    } else if (parts[0] === 'ref' && parts.length === 4) {
      const v = valueNode.get(parts[1]), c = nodeById.get(parts[2]);
      if (v && c !== undefined) info = { type: 'ref', n: v[0], k: v[1], consumer: c, slot: Number(parts[3]) };
    } else if ((parts[0] === 'f' || parts[0] === 'b') && parts.length === 3 && /^[0-9]+$/.test(parts[2]) && nodeById.has(parts[1])) {
      const n = nodeById.get(parts[1]), slot = Number(parts[2]);
      info = { type: 'edge', n: n, slot: slot, dir: parts[0] };
      const key = n + ':' + slot;
      if (!edgeElements.has(key)) edgeElements.set(key, []);
      edgeElements.get(key).push(g);
    } else if ((parts[0] === 'f' || parts[0] === 'b') && (parts[1] === 'out' || parts[1] === 'sum')) {
      const v = valueNode.get(parts.slice(2).join('-'));
      if (v) {
        const key = vkey(v[0], v[1]);
        info = { type: parts[1] === 'out' ? 'output' : 'sum', n: v[0], k: v[1], edge: true };
        if (parts[1] === 'out') { if (!outEdgeElements.has(key)) outEdgeElements.set(key, []); outEdgeElements.get(key).push(g); }
        else sumEdgeElement.set(key, g);
      }
    } else if (g.id === 'folded') {
      info = { type: 'folded' };
    }
    if (info) elementInfo.set(g, info);
  }
}
"""#
}
