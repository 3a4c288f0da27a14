extension ExplorerPage {
    /// The page's script, part 5: selection, steps, search with completion, deep links
    /// (`#node=ID`, `#step=K`, `#fstep=K`), the controls, and start-up.
    static let scriptApp = #"""
// ---- what is shown --------------------------------------------------------------------------
const details = document.getElementById('gv-details');
let selection = null;   // {type, n, k, slot, dir, g, s}
let stepping = null;    // {mode: 'backward' | 'forward', step}
function setDetails(children) { details.replaceChildren(...children.filter(Boolean)); details.scrollTop = 0; }

// The fragment follows the user (replaceState: no history entry per click, no hashchange).
function setFragment(text) {
  const url = text ? '#' + text : location.pathname + location.search;
  try { history.replaceState(null, '', url); } catch (e) { /* a sandboxed frame may refuse; the page still works */ }
}
function selectionName(sel) {
  if (sel.type === 'edge') return 'edge=' + encodeURIComponent(sel.dir + '-' + nodes[sel.n].id + '-' + sel.slot);
  if (sel.type === 'group' || sel.type === 'summary') return null;
  const n = sel.n, k = sel.k || 0;
  return 'node=' + encodeURIComponent(nodes[n].names[k] || nodes[n].id);
}

function select(sel, centre) {
  stopPlaying();
  if (stepping) { stepping = null; clearStep(); updateStepControls(); }
  selection = sel;
  unmark('gv-selected');
  if (!sel) { highlightFamily(null); setDetails(overview()); setFragment(null); return; }
  let target = null;
  if (sel.type === 'group') {
    target = groups[sel.g].box || groups[sel.g].el;
    mark(target, 'gv-selected');
    setDetails(groupDetails(sel.g));
    highlightFamily(null);
  } else if (sel.type === 'summary') {
    revealGroup(data.summaries[sel.s].group);
    target = summaryElement.get(sel.s);
    mark(target, 'gv-selected');
    setDetails(summaryDetails(sel.s));
    highlightFamily(null);
  } else {
    reveal(sel.type === 'edge' ? sel.n : sel.n);
    if (sel.type === 'edge') {
      for (const e of edgesOfSlot(sel.n, sel.slot)) mark(e, 'gv-selected');
      target = edgesOfSlot(sel.n, sel.slot)[0];
      setDetails(edgeDetails(sel.n, sel.slot, sel.dir));
      highlightFamily(sel.n);
    } else if (sel.type === 'output' || sel.type === 'sum') {
      target = (sel.type === 'output' ? outputElement : sumElement).get(vkey(sel.n, sel.k));
      mark(target, 'gv-selected');
      setDetails(valueDetails(sel.type, sel.n, sel.k));
      highlightFamily(sel.n);
    } else {
      target = drawnElement(sel.n);
      mark(target, 'gv-selected');
      setDetails(nodeDetails(sel.n));
      highlightFamily(sel.n);
    }
  }
  const name = selectionName(sel);
  if (name) setFragment(name);
  if (centre && target) centreOn(target);
}

function goStep(mode, step) {
  const order = mode === 'backward' ? backward : forward;
  if (!order.length) { setDetails([h('h2', null, 'Nothing to step through'), line(mode === 'backward' ? 'No op receives a gradient.' : 'The model has no ops.')]); return; }
  step = Math.max(1, Math.min(order.length, step));
  selection = null;
  unmark('gv-selected');
  highlightFamily(null);
  stepping = { mode: mode, step: step };
  showStep(mode, step);
  setDetails(mode === 'backward' ? backwardStepDetails(step) : forwardStepDetails(step));
  setFragment((mode === 'backward' ? 'step=' : 'fstep=') + step);
  updateStepControls();
}
function stepBy(delta) {
  const mode = document.getElementById('gv-mode').value;
  if (!stepping || stepping.mode !== mode) goStep(mode, delta > 0 ? 1 : (mode === 'backward' ? backward : forward).length);
  else goStep(mode, stepping.step + delta);
}
let timer = null;
function stopPlaying() { if (timer) { clearInterval(timer); timer = null; } document.getElementById('gv-play').textContent = '▶ play'; }
function togglePlay() {
  if (timer) { stopPlaying(); return; }
  const mode = document.getElementById('gv-mode').value;
  const order = mode === 'backward' ? backward : forward;
  if (!stepping || stepping.mode !== mode || stepping.step >= order.length) goStep(mode, 1);
  document.getElementById('gv-play').textContent = '⏸ pause';
  timer = setInterval(() => {
    if (!stepping || stepping.step >= order.length) { stopPlaying(); return; }
    goStep(mode, stepping.step + 1);
  }, 1200);
}
function updateStepControls() {
  const label = document.getElementById('gv-step-label');
  if (!stepping) { label.textContent = 'not stepping'; return; }
  const order = stepping.mode === 'backward' ? backward : forward;
  label.textContent = stepping.mode + ' step ' + stepping.step + ' / ' + order.length;
}

function onDrawingClick(target) {
  let el = target;
  while (el && el !== canvas && !elementInfo.has(el) && !(el.classList && el.classList.contains('cluster'))) el = el.parentNode;
  if (!el || el === canvas) { select(null); return; }
  if (el.classList.contains('cluster')) {
    const g = groups.findIndex(x => x.el === el);
    if (g >= 0) { setCollapsed(g, true); select({ type: 'group', g: g }); }
    return;
  }
  const info = elementInfo.get(el);
  if (info.type === 'group') { setCollapsed(info.g, false); select({ type: 'group', g: info.g }); return; }
  if (info.type === 'folded' && info.s >= 0) { select({ type: 'summary', s: info.s }); return; }
  if (info.type === 'foldedEdge') { setDetails(foldedEdgeDetails(info.s, info.n, info.k, info.dir)); return; }
  if (info.type === 'folded') { setDetails([h('h2', null, 'Folded nodes'), foldedNote(), line('Search finds every node; its details are all here.')]); return; }
  if (info.type === 'edge') select({ type: 'edge', n: info.n, slot: info.slot, dir: info.dir });
  else if (info.type === 'ref') select({ type: 'node', n: info.n, k: info.k }, true);
  else if ((info.type === 'output' || info.type === 'sum') && !info.edge) select({ type: info.type, n: info.n, k: info.k });
  else select({ type: 'node', n: info.n, k: info.k || 0 });
}

// ---- deep links ---------------------------------------------------------------------------
function findNode(id) {
  if (valueNode.has(id)) return valueNode.get(id);
  if (nodeById.has(id)) return [nodeById.get(id), 0];
  const n = nodes.findIndex(node => node.label === id);
  return n >= 0 ? [n, 0] : null;
}
function applyFragment() {
  const params = new URLSearchParams(location.hash.slice(1));
  if (params.has('node')) {
    const found = findNode(params.get('node'));
    if (found) { select({ type: 'node', n: found[0], k: found[1] }, true); return; }
    setDetails([h('h2', null, 'No node ' + params.get('node')), line('The link names no value of this model; search for it above.')]);
  } else if (params.has('edge')) {
    const [dir, id, slot] = params.get('edge').split('-');
    if (nodeById.has(id) && nodes[nodeById.get(id)].inputs && nodes[nodeById.get(id)].inputs[Number(slot)]) select({ type: 'edge', n: nodeById.get(id), slot: Number(slot), dir: dir === 'f' ? 'f' : 'b' }, true);
  } else if (params.has('step') || params.has('fstep')) {
    const mode = params.has('step') ? 'backward' : 'forward';
    document.getElementById('gv-mode').value = mode;
    goStep(mode, parseInt(params.get(params.has('step') ? 'step' : 'fstep'), 10) || 1);
  }
}
window.addEventListener('hashchange', applyFragment);

// ---- search with completion ----------------------------------------------------------------
const searchBox = document.getElementById('gv-search');
const matchList = document.getElementById('gv-matches');
const entries = [];
// The titles of the boxes of folded structure ("cell ×11"), then every node's names.
(data.summaries || []).forEach((summary, s) => entries.push({ text: summary.title, lower: summary.title.toLowerCase(), s: s }));
nodes.forEach((node, n) => {
  if (node.kind === 'const') return;
  const seen = new Set();
  const add = (text, k) => { if (text && !seen.has(text)) { seen.add(text); entries.push({ text: text, lower: text.toLowerCase(), n: n, k: k }); } };
  node.names.forEach((name, k) => add(name, k));
  add(node.id, 0);
  add(node.label, 0);
});
let matches = [], active = 0;
function findMatches(query) {
  const q = query.trim().toLowerCase();
  if (!q) return [];
  const prefix = [], inner = [];
  for (const e of entries) {
    if (e.lower.startsWith(q)) prefix.push(e); else if (e.lower.includes(q)) inner.push(e);
    if (prefix.length >= 20) break;
  }
  return prefix.concat(inner).slice(0, 20);
}
function renderMatches() {
  matchList.replaceChildren(...matches.map((m, i) => {
    const node = nodes[m.n];
    const what = m.s !== undefined ? '⊞ folded box · ' + data.summaries[m.s].members.length + ' nodes'
      : (node.op || nodeKind(m.n)) + (m.text !== node.id ? ' · ' + node.id : '');
    const item = h('li', i === active ? 'gv-active' : null, h('span', 'gv-match', m.text), ' ', h('span', 'gv-muted', what));
    item.setAttribute('role', 'option');
    item.addEventListener('mousedown', ev => { ev.preventDefault(); choose(m); });
    return item;
  }));
  matchList.hidden = matches.length === 0;
  searchBox.setAttribute('aria-expanded', matches.length ? 'true' : 'false');
}
function choose(m) {
  searchBox.value = m.text;
  matches = []; renderMatches();
  select(m.s !== undefined ? { type: 'summary', s: m.s } : { type: 'node', n: m.n, k: m.k }, true);
}
searchBox.addEventListener('input', () => { matches = findMatches(searchBox.value); active = 0; renderMatches(); });
searchBox.addEventListener('keydown', e => {
  if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
    e.preventDefault();
    if (matches.length) { active = (active + (e.key === 'ArrowDown' ? 1 : matches.length - 1)) % matches.length; renderMatches(); }
  } else if (e.key === 'Enter') {
    e.preventDefault();
    const list = matches.length ? matches : findMatches(searchBox.value);
    if (list.length) choose(list[Math.min(active, list.length - 1)]);
    else setDetails([h('h2', null, 'No match'), line('No value, id, label or folded box contains “' + searchBox.value + '”.')]);
  } else if (e.key === 'Escape') {
    matches = []; renderMatches(); searchBox.blur();
  }
  e.stopPropagation();
});
searchBox.addEventListener('blur', () => { matches = []; renderMatches(); });

// ---- the group list ---------------------------------------------------------------------------
function renderGroupList() {
  const list = document.getElementById('gv-groups');
  const drawnGroups = groups.filter(g => g.el);
  document.getElementById('gv-groups-box').hidden = drawnGroups.length === 0;
  list.replaceChildren(...drawnGroups.map(g => {
    const b = h('button', 'gv-link', (g.collapsed ? '⊞ ' : '⊟ ') + g.label);
    b.style.paddingLeft = (groupChain(g.index).length - 1) * 12 + 'px';
    b.setAttribute('aria-pressed', g.collapsed ? 'true' : 'false');
    b.addEventListener('click', () => { setCollapsed(g.index, !g.collapsed); select({ type: 'group', g: g.index }, true); });
    return h('li', null, b);
  }));
}
function collapseAll(collapsed) { for (const g of groups) g.collapsed = collapsed && !!g.el; refreshCollapsed(); }

// ---- start-up ---------------------------------------------------------------------------------
function overview() {
  if (data.check) return checkSummary();
  const ops = nodes.filter(n => n.kind === 'op').length;
  const out = [h('h2', null, data.title || data.file), data.description ? line(data.description) : null,
               line(ops + ' ops, ' + nodes.filter(n => n.kind === 'param').length + ' parameters, ' + data.outputs.length + ' output' + (data.outputs.length === 1 ? '' : 's') +
                    '; the backward pass runs ' + backward.length + ' steps.'),
               line('Click a node or an edge for its numbers; search by id, label or box title; step through the backward pass with → and ←.')];
  if (data.folded) out.push(foldedNote());
  if (groups.some(g => g.collapsed)) out.push(h('div', 'gv-note', 'The drawing has ' + data.drawnNodes + ' nodes (more than ' + COLLAPSE_AT + '): it opened with its groups collapsed; click one to expand it.'));
  return out;
}
document.getElementById('gv-prev').addEventListener('click', () => stepBy(-1));
document.getElementById('gv-next').addEventListener('click', () => stepBy(1));
document.getElementById('gv-play').addEventListener('click', togglePlay);
document.getElementById('gv-mode').addEventListener('change', () => { stopPlaying(); goStep(document.getElementById('gv-mode').value, 1); });
document.getElementById('gv-fit').addEventListener('click', fit);
document.getElementById('gv-zoom-in').addEventListener('click', () => zoomAt(1.25, viewport.clientWidth / 2, viewport.clientHeight / 2));
document.getElementById('gv-zoom-out').addEventListener('click', () => zoomAt(0.8, viewport.clientWidth / 2, viewport.clientHeight / 2));
document.getElementById('gv-collapse-all').addEventListener('click', () => collapseAll(true));
document.getElementById('gv-expand-all').addEventListener('click', () => collapseAll(false));
for (const id of ['gv-ancestors', 'gv-descendants']) {
  document.getElementById(id).addEventListener('change', () => highlightFamily(selection && selection.type !== 'group' ? selection.n : null));
}
const edgesSelect = document.getElementById('gv-edges');
edgesSelect.addEventListener('change', () => {
  canvas.classList.toggle('gv-hide-forward', edgesSelect.value === 'backward');
  canvas.classList.toggle('gv-hide-backward', edgesSelect.value === 'forward');
});
function setTheme(theme) {
  document.body.classList.toggle('gv-dark', theme === 'dark');
  // The drawing's colours are Graphviz's, for the theme it was drawn in; the other theme
  // shows it inverted (hues kept).
  canvas.classList.toggle('gv-inverted', theme !== data.theme);
  canvas.classList.toggle('gv-drawn-dark', data.theme === 'dark');
  document.getElementById('gv-theme').textContent = theme === 'dark' ? '☀ light' : '☾ dark';
}
document.getElementById('gv-theme').addEventListener('click', () => setTheme(document.body.classList.contains('gv-dark') ? 'light' : 'dark'));

document.addEventListener('keydown', e => {
  if (e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement || e.altKey || e.ctrlKey || e.metaKey) return;
  const pan = 80;
  const handled = {
    'ArrowRight': () => e.shiftKey ? (view.x -= pan, applyView()) : stepBy(1),
    'ArrowLeft': () => e.shiftKey ? (view.x += pan, applyView()) : stepBy(-1),
    'ArrowUp': () => { view.y += pan; applyView(); },
    'ArrowDown': () => { view.y -= pan; applyView(); },
    '+': () => zoomAt(1.25, viewport.clientWidth / 2, viewport.clientHeight / 2),
    '=': () => zoomAt(1.25, viewport.clientWidth / 2, viewport.clientHeight / 2),
    '-': () => zoomAt(0.8, viewport.clientWidth / 2, viewport.clientHeight / 2),
    '0': fit, 'f': fit,
    ' ': togglePlay,
    '/': () => searchBox.focus(),
    'Escape': () => select(null),
  }[e.key];
  if (handled) { e.preventDefault(); handled(); }
});
window.addEventListener('resize', () => { if (!selection && !stepping) fit(); });

document.title = (data.title || data.file) + (data.check ? ' — gradient check' : '') + ' — gradviz';
document.getElementById('gv-name').textContent = data.title || data.file;
indexDrawing();
indexGroups();
setupSize();
setTheme(data.theme);
if (data.drawnNodes > COLLAPSE_AT) for (const g of groups) if (g.el && g.parent < 0) g.collapsed = true;
refreshCollapsed();
fit();
setDetails(overview());
if (location.hash.length > 1) applyFragment();
updateStepControls();
// Start-up is over and a deep link answered: what bench/explorer measures.
performance.mark('gv-ready');
document.body.dataset.ready = 'true';
"""#
}
