extension ExplorerPage {
    /// The page's script, part 2: pan and zoom (wheel, drag, pinch, keyboard), fit,
    /// centring, highlighting, and collapsing groups.
    static let scriptView = #"""
// ---- pan and zoom: one CSS transform on the canvas ----------------------------------------
const viewport = document.getElementById('gv-viewport');
const view = { x: 0, y: 0, k: 1 };
// Written at once: browsers draw at most once a frame anyway, and centring reads the
// element boxes the transform gives.
function applyView() {
  canvas.style.transform = 'translate(' + view.x + 'px, ' + view.y + 'px) scale(' + view.k + ')';
}
const svgSize = { w: 1, h: 1 };
function setupSize() {
  if (!svg) return;
  const box = svg.viewBox.baseVal;
  svgSize.w = box && box.width ? box.width : svg.getBBox().width;
  svgSize.h = box && box.height ? box.height : svg.getBBox().height;
  svg.setAttribute('width', svgSize.w);
  svg.setAttribute('height', svgSize.h);
}
function zoomAt(factor, cx, cy) {
  const k = Math.min(8, Math.max(0.01, view.k * factor));
  view.x = cx - (cx - view.x) * (k / view.k);
  view.y = cy - (cy - view.y) * (k / view.k);
  view.k = k;
  applyView();
}
function fit() {
  const w = viewport.clientWidth, h = viewport.clientHeight;
  view.k = Math.min(2, Math.max(0.01, Math.min(w / svgSize.w, h / svgSize.h) * 0.96));
  view.x = (w - svgSize.w * view.k) / 2;
  view.y = (h - svgSize.h * view.k) / 2;
  applyView();
}
// The element's box in canvas coordinates (unscaled), whatever the current view.
function canvasBox(el) {
  const r = el.getBoundingClientRect(), c = canvas.getBoundingClientRect();
  return { x: (r.left - c.left) / view.k, y: (r.top - c.top) / view.k, w: r.width / view.k, h: r.height / view.k };
}
function centreOn(el) {
  if (!el) return;
  const b = canvasBox(el);
  // Zoomed out past reading, come close enough to read the labels.
  if (view.k < 1) view.k = 1;
  view.x = viewport.clientWidth / 2 - (b.x + b.w / 2) * view.k;
  view.y = viewport.clientHeight / 2 - (b.y + b.h / 2) * view.k;
  applyView();
}

viewport.addEventListener('wheel', e => {
  e.preventDefault();
  const r = viewport.getBoundingClientRect();
  // A trackpad pinch arrives as a wheel event with ctrlKey; both zoom around the pointer.
  const speed = e.ctrlKey ? 0.01 : 0.0015;
  const delta = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaY;
  zoomAt(Math.exp(-delta * speed), e.clientX - r.left, e.clientY - r.top);
}, { passive: false });

// Drag with one pointer, pinch with two; a press that does not move is a click.
const pointers = new Map();
let drag = null, pinch = null;
viewport.addEventListener('pointerdown', e => {
  pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
  viewport.setPointerCapture(e.pointerId);
  if (pointers.size === 1) drag = { x: e.clientX, y: e.clientY, vx: view.x, vy: view.y, moved: false, target: e.target };
  if (pointers.size === 2) {
    const [a, b] = [...pointers.values()];
    pinch = { d: Math.hypot(a.x - b.x, a.y - b.y), k: view.k };
    drag = null;
  }
});
viewport.addEventListener('pointermove', e => {
  if (!pointers.has(e.pointerId)) return;
  pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
  if (pinch && pointers.size === 2) {
    const [a, b] = [...pointers.values()];
    const r = viewport.getBoundingClientRect();
    const d = Math.hypot(a.x - b.x, a.y - b.y);
    zoomAt(pinch.k * d / pinch.d / view.k, (a.x + b.x) / 2 - r.left, (a.y + b.y) / 2 - r.top);
  } else if (drag) {
    if (Math.abs(e.clientX - drag.x) + Math.abs(e.clientY - drag.y) > 4) drag.moved = true;
    if (drag.moved) {
      view.x = drag.vx + e.clientX - drag.x;
      view.y = drag.vy + e.clientY - drag.y;
      viewport.classList.add('gv-dragging');
      applyView();
    }
  }
});
function endPointer(e) {
  if (!pointers.has(e.pointerId)) return;
  pointers.delete(e.pointerId);
  if (pointers.size < 2) pinch = null;
  if (drag && !drag.moved && e.type === 'pointerup') onDrawingClick(drag.target);
  if (pointers.size === 0) { drag = null; viewport.classList.remove('gv-dragging'); }
}
viewport.addEventListener('pointerup', endPointer);
viewport.addEventListener('pointercancel', endPointer);

// ---- highlighting -----------------------------------------------------------------------
const marked = new Map();  // class -> elements carrying it
function mark(el, cls) {
  if (!el) return;
  el.classList.add(cls);
  if (!marked.has(cls)) marked.set(cls, []);
  marked.get(cls).push(el);
}
function unmark(cls) {
  for (const el of marked.get(cls) || []) el.classList.remove(cls);
  marked.delete(cls);
}
// Every element that draws node n: its box, its output, its Σ, its edges.
function elementsOfNode(n) {
  const out = [];
  if (nodeElement.has(n)) out.push(nodeElement.get(n));
  nodes[n].names.forEach((_, k) => {
    const key = vkey(n, k);
    for (const m of [outputElement, sumElement, sumEdgeElement]) if (m.has(key)) out.push(m.get(key));
    for (const e of outEdgeElements.get(key) || []) out.push(e);
  });
  return out;
}
function edgesOfSlot(n, slot) { return edgeElements.get(n + ':' + slot) || []; }

// Ancestors (what n is computed from) and descendants (what is computed from n).
function related(n, up) {
  const seen = new Set([n]), stack = [n];
  while (stack.length) {
    const m = stack.pop();
    const next = up ? (nodes[m].inputs || []).map(i => i.node)
                    : nodes[m].names.flatMap((_, k) => (uses.get(vkey(m, k)) || []).map(u => u[0]));
    for (const x of next) if (!seen.has(x)) { seen.add(x); stack.push(x); }
  }
  return seen;
}
function highlightFamily(n) {
  unmark('gv-lit');
  canvas.classList.remove('gv-dimming');
  const up = document.getElementById('gv-ancestors').checked, down = document.getElementById('gv-descendants').checked;
  if (n === null || (!up && !down)) return;
  const family = new Set([n]);
  if (up) for (const m of related(n, true)) family.add(m);
  if (down) for (const m of related(n, false)) family.add(m);
  for (const m of family) {
    for (const el of elementsOfNode(m)) mark(el, 'gv-lit');
    (nodes[m].inputs || []).forEach((i, slot) => { if (family.has(i.node)) for (const el of edgesOfSlot(m, slot)) mark(el, 'gv-lit'); });
  }
  canvas.classList.add('gv-dimming');
}

// ---- groups: collapse to one box and expand again ----------------------------------------
// The layout is Graphviz's, computed once: a collapsed group keeps its place and becomes one
// box over its area; what is inside is hidden, edges from outside end at the box.
const groups = data.groups.map((g, i) => Object.assign({ index: i, collapsed: false, members: [], el: null, box: null }, g));
function groupChain(g) { const chain = []; for (; g !== undefined && g >= 0; g = groups[g].parent) chain.unshift(g); return chain; }
function outermostCollapsed(g) { for (const i of groupChain(g)) if (groups[i].collapsed) return i; return -1; }
const elementGroup = new Map();  // element -> group index (-1: top level)
const edgeEnds = new Map();      // edge element -> [tail group, head group]
function indexGroups() {
  // Boxes measured once, while every cluster is shown (Firefox cannot measure a hidden one).
  groups.forEach(g => { if (g.svg) { g.el = document.getElementById(g.svg); if (g.el) g.bbox = g.el.getBBox(); } });
  for (const [el, info] of elementInfo) {
    const groupOf = n => (nodes[n].group === undefined ? -1 : nodes[n].group);
    if (info.type === 'edge') edgeEnds.set(el, [groupOf(nodes[info.n].inputs[info.slot].node), groupOf(info.n)]);
    else if (info.type === 'output' && info.edge) edgeEnds.set(el, [groupOf(info.n), -1]);
    else if (info.type === 'output') elementGroup.set(el, -1);
    else if (info.type === 'ref') elementGroup.set(el, groupOf(info.consumer));
    else if (info.type === 'folded') elementGroup.set(el, info.s >= 0 ? data.summaries[info.s].group : -1);
    else if (info.type === 'foldedEdge') edgeEnds.set(el, [groupOf(info.n), data.summaries[info.s].group]);
    else elementGroup.set(el, groupOf(info.n));
  }
  nodes.forEach((node, n) => { for (const g of groupChain(node.group)) groups[g].members.push(n); });
}
function groupBox(g) {
  const box = document.createElementNS('http://www.w3.org/2000/svg', 'g');
  box.setAttribute('class', 'gv-collapsed');
  const b = g.bbox;
  const rect = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
  for (const [k, v] of [['x', b.x], ['y', b.y], ['width', b.width], ['height', b.height], ['rx', 8]]) rect.setAttribute(k, v);
  const label = document.createElementNS('http://www.w3.org/2000/svg', 'text');
  label.setAttribute('x', b.x + b.width / 2);
  label.setAttribute('y', b.y + b.height / 2);
  label.setAttribute('text-anchor', 'middle');
  label.textContent = '⊞ ' + g.label;
  const sub = document.createElementNS('http://www.w3.org/2000/svg', 'text');
  sub.setAttribute('x', b.x + b.width / 2);
  sub.setAttribute('y', b.y + b.height / 2 + 14);
  sub.setAttribute('text-anchor', 'middle');
  sub.setAttribute('class', 'gv-collapsed-sub');
  const ops = g.members.filter(n => nodes[n].kind === 'op').length;
  sub.textContent = (g.kind === 'call' ? 'function call' : 'group') + ' · ' + ops + ' op' + (ops === 1 ? '' : 's') + ' · click to expand';
  box.append(rect, label, sub);
  elementInfo.set(box, { type: 'group', g: g.index });
  return box;
}
function refreshCollapsed() {
  for (const g of groups) {
    if (!g.el) continue;
    const hiddenBy = outermostCollapsed(g.parent);
    const show = g.collapsed && hiddenBy < 0;
    if (show && !g.box) { g.box = groupBox(g); graphRoot.appendChild(g.box); }
    if (g.box) g.box.classList.toggle('gv-hidden', !show);
    g.el.classList.toggle('gv-hidden', g.collapsed || hiddenBy >= 0);
  }
  for (const [el, g] of elementGroup) el.classList.toggle('gv-hidden', outermostCollapsed(g) >= 0);
  for (const [el, [a, b]] of edgeEnds) {
    const ca = outermostCollapsed(a);
    el.classList.toggle('gv-hidden', ca >= 0 && ca === outermostCollapsed(b));
  }
  renderGroupList();
}
function setCollapsed(g, collapsed) { groups[g].collapsed = collapsed; refreshCollapsed(); }
// Makes node n visible: expands the groups around it.
function reveal(n) { revealGroup(nodes[n].group); }
// Opens every collapsed group around group `group` (-1: the top level).
function revealGroup(group) {
  let changed = false;
  for (const g of groupChain(group)) if (groups[g].collapsed) { groups[g].collapsed = false; changed = true; }
  if (changed) refreshCollapsed();
}
"""#
}
