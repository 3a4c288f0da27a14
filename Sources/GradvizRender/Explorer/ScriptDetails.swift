extension ExplorerPage {
    /// The page's script, part 3: the details panel (`#gv-details`) of a node, an edge, a
    /// Σ or an output, with every element of its tensors, and the check results.
    static let scriptDetails = #"""
// ---- building the DOM from text only -------------------------------------------------------
function h(tag, cls, ...children) {
  const el = document.createElement(tag);
  if (cls) el.className = cls;
  for (const c of children) if (c !== null && c !== undefined) el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  return el;
}
const line = (...parts) => h('div', 'gv-line', ...parts);
const section = (heading, ...children) => h('section', null, h('h3', null, heading), ...children);

// A tensor: the number, or its statistics and every element (scrollable).
function tensorView(label, t) {
  if (!t) return line(label + ': none (no gradient reaches it)');
  if (isScalar(t) && !t.shape.length) return line(label + ' = ' + fmt(t.data[0]));
  const box = h('div', 'gv-tensor', line(label + ': ' + statsLine(t)));
  if (t.partial) box.append(h('div', 'gv-note', 'Summarised: ' + t.count + ' elements, more than the ' + data.elementLimit +
    ' the file keeps per tensor; the first ' + t.data.length + ' are listed, min/mean/max/norm are of all ' + t.count + '.'));
  const list = h('div', 'gv-elements');
  const columns = t.shape.length ? t.shape[t.shape.length - 1] : 1;
  for (let start = 0; start < t.data.length; start += columns) {
    const row = t.data.slice(start, start + columns).map(fmt).join('  ');
    list.append(h('div', null, h('span', 'gv-index', multiIndex(start, t.shape) + ' '), row));
  }
  box.append(list);
  return box;
}

function nodeKind(n) {
  const node = nodes[n];
  return { param: 'parameter', data: 'data (no gradient)', const: 'constant', port: 'argument of a function call', op: node.custom ? 'custom op' : 'op' }[node.kind];
}
function foldedNote() {
  if (data.summaries) {
    return h('div', 'gv-note', 'The model has ' + nodes.length + ' nodes: past --max-nodes, the drawing folds ' + data.folded + ' of them into ' +
      data.summaries.length + ' summary box' + (data.summaries.length === 1 ? '' : 'es') + ' (⊞: ' + data.summaries.slice(0, 3).map(s => s.title).join(', ') +
      (data.summaries.length > 3 ? ', …' : '') + '). Click one for what it holds; search, deep links and steps reach every node; all their numbers are here.');
  }
  return h('div', 'gv-note', 'The model has ' + nodes.length + ' nodes: past what Graphviz lays out in time, the drawing shows only ' +
    'the part nearest the outputs and folds ' + data.folded + ' nodes into one box. Search, deep links and steps reach every node; all their numbers are here.');
}
// A summary of folded structure: what it holds, what crosses into it, how to draw it.
function summaryDetails(s) {
  const summary = data.summaries[s];
  const ops = summary.members.filter(n => nodes[n].kind === 'op');
  const out = [h('h2', null, '⊞ ' + summary.title), line(summary.detail),
               line({ group: 'a group', call: 'a function call', repeated: 'repeated structure: ' + summary.repeats + ' instances' }[summary.kind] +
                    ' folded into one box; ' + summary.members.length + ' nodes, ' + ops.length + ' ops.'),
               h('div', 'gv-note', 'Draw its inside with --expand ' + summary.expand + '. Every node in it is listed here with its numbers.')];
  const list = section('Inside');
  for (const n of summary.members.slice(0, 200)) {
    const b = h('button', 'gv-link', title(n) + (nodes[n].op ? ' (' + nodes[n].op + ')' : ''));
    b.addEventListener('click', () => select({ type: 'node', n: n }, true));
    list.append(h('div', null, b));
  }
  if (summary.members.length > 200) list.append(line('… ' + (summary.members.length - 200) + ' more (search finds them)'));
  out.push(list);
  if (summary.inputs.length) {
    const inputs = section('Values read inside, and the gradient each sends back (the sum over its uses inside)');
    for (const i of summary.inputs) {
      inputs.append(line(valueName(i.node, i.out) + ': value ' + brief(nodes[i.node].value[i.out]) + ', ' + i.uses.length + ' use' + (i.uses.length === 1 ? '' : 's') + ' inside'));
      if (i.grad) inputs.append(line('  sends back ' + brief(i.grad)));
    }
    out.push(inputs);
  }
  return out;
}
function foldedEdgeDetails(s, n, k, dir) {
  const summary = data.summaries[s];
  const i = summary.inputs.find(x => x.node === n && x.out === k);
  const from = valueName(n, k);
  const out = [h('h2', null, from + ' → ⊞ ' + summary.title),
               line((dir === 'f' ? 'forward edge: the value ' : 'backward edge: the gradient along the uses of ') + from + ' inside the folded ' + summary.title +
                    ' (' + i.uses.length + ' use' + (i.uses.length === 1 ? '' : 's') + ')')];
  out.push(tensorView('value of ' + from, nodes[n].value[k]));
  out.push(tensorView('gradient along this edge: the sum over its uses inside', i.grad));
  const uses = section('Its uses inside');
  for (const [c, slot] of i.uses) {
    const g = nodes[c].inputs[slot].grad;
    uses.append(line('· ' + title(c) + ' (' + nodes[c].inputs[slot].slot + '): ' + (g ? brief(g) : 'no gradient')));
  }
  out.push(uses);
  const sum = sumView(n, k);
  if (sum) out.push(sum);
  return out;
}
function notDrawnNote(n) {
  if (nodes[n].drawn || nodes[n].kind === 'const') return null;
  if (nodes[n].folded !== undefined) {
    const s = data.summaries[nodes[n].folded];
    return h('div', 'gv-note', 'Not in the drawing: folded into ⊞ ' + s.title + ' (' + s.detail + '); --expand ' + s.expand + ' draws it. Its numbers are all here.');
  }
  return h('div', 'gv-note', 'Not in the drawing: it is among the ' + data.folded + ' nodes folded into one box ' +
    '(the drawing shows the part nearest the outputs). Its numbers are all here.');
}
function groupPath(n) {
  return groupChain(nodes[n].group).map(g => groups[g].label).join(' / ');
}

// The Σ of a value used more than once: the gradient along each use, and their sum.
function sumView(n, k) {
  const terms = sumTerms(n, k);
  if (terms.length < 2) return null;
  const total = nodes[n].grad[k];
  const equation = terms.map((t, i) => signed(brief(t.grad), i === 0)).join(' ');
  return section('Σ at ' + valueName(n, k) + ': used ' + terms.length + ' times, its gradient is the sum',
    ...terms.map(t => line('· ' + t.label + ': ' + brief(t.grad))),
    line('Σ ' + equation + ' = ' + brief(total)));
}

function checkItemsOf(n) { return data.check ? data.check.items.filter(i => i.node === n) : []; }
function checkView(item) {
  const shape = item.kind === 'input' ? nodes[item.node].value[0].shape
                                      : nodes[item.node].inputs[item.slot] ? nodes[nodes[item.node].inputs[item.slot].node].value[nodes[item.node].inputs[item.slot].out].shape : [];
  const what = item.kind === 'input' ? 'input ' + valueName(item.node, 0) + ' (whole objective)'
                                     : 'slot ' + item.slotName + ' ← ' + item.input + ' (op alone)';
  const box = h('div', 'gv-check gv-check-' + item.status, line(what + ': ' + item.status.toUpperCase()), h('div', 'gv-why', item.why));
  if (item.indices.length) {
    const list = h('div', 'gv-elements');
    list.append(h('div', 'gv-index', 'index  analytic  numeric  |difference|'));
    item.indices.forEach((flat, j) => {
      const a = num(item.analytic[j]), b = num(item.numeric[j]);
      list.append(h('div', null, multiIndex(flat, shape) + '  ' + fmt(a) + '  ' + fmt(b) + '  ' + fmt(Math.abs(a - b))));
    });
    box.append(list);
  }
  return box;
}

function nodeDetails(n) {
  const node = nodes[n];
  const out = [h('h2', null, title(n)), line(nodeKind(n) + (node.op ? ' ' + node.op : '') + (node.label ? ' · id ' + node.id : ''))];
  const note = notDrawnNote(n);
  if (note) out.push(note);
  if (node.group !== undefined) out.push(line('in ' + groupPath(n)));
  if (node.op) {
    out.push(line(node.names.filter(Boolean).join(', ') + ' = ' + opCall(n)));
    if (node.expr) out.push(line('written as ' + node.expr));
    out.push(line(node.summary));
    const attrs = node.attrs.map(a => a[0] + ' = ' + a[1] + (a[2] ? ' (default)' : ''));
    out.push(line('attributes: ' + (attrs.length ? attrs.join(', ') : 'none')));
    out.push(line('local gradient: ' + node.formula));
  }
  if (node.doc) out.push(line(node.doc));
  const values = section('Values');
  node.value.forEach((v, k) => {
    values.append(tensorView(valueName(n, k), v));
    if (node.kind !== 'const' && node.kind !== 'data') values.append(tensorView('gradient ∂objective/∂' + valueName(n, k), node.grad[k]));
    if (seeds.has(vkey(n, k))) values.append(tensorView('seed of output ' + valueName(n, k), seeds.get(vkey(n, k))));
  });
  out.push(values);
  if (node.inputs && node.inputs.length) {
    const inputs = section('Inputs and the gradient along each edge');
    node.inputs.forEach((i, slot) => {
      const from = valueName(i.node, i.out);
      inputs.append(line(i.slot + ' = ' + from + ': value ' + brief(nodes[i.node].value[i.out])));
      if (i.grad) {
        const local = node.local && node.local[slot] !== null && node.local[slot] !== undefined ? ' (local ∂' + node.names[0] + '/∂' + from + ' = ' + fmt(node.local[slot]) + ')' : '';
        inputs.append(tensorView('  sends back to ' + from + local, i.grad));
      } else {
        inputs.append(line('  no gradient along this edge (' + (nodes[i.node].kind === 'const' ? 'a constant' : 'nothing to differentiate') + ')'));
      }
    });
    out.push(inputs);
  }
  node.names.forEach((_, k) => { const s = sumView(n, k); if (s) out.push(s); });
  const checks = checkItemsOf(n);
  if (checks.length) out.push(section('Gradient check', ...checks.map(checkView)));
  if (node.line) out.push(h('div', 'gv-note', 'model line ' + node.line));
  return out;
}

function edgeDetails(n, slot, dir) {
  const node = nodes[n], i = node.inputs[slot];
  const from = valueName(i.node, i.out);
  const out = [h('h2', null, from + ' → ' + title(n) + ' (' + i.slot + ')'),
               line((dir === 'f' ? 'forward edge: the value ' : 'backward edge: the gradient along this use of ') + from)];
  out.push(tensorView('value of ' + from, nodes[i.node].value[i.out]));
  out.push(tensorView('gradient along this edge (∂objective/∂' + from + ' through ' + title(n) + ')', i.grad));
  if (node.local && node.local[slot] !== null && node.local[slot] !== undefined) {
    const g = node.grad[0];
    out.push(line('upstream ' + brief(g) + ' × local ∂' + node.names[0] + '/∂' + from + ' ' + fmt(node.local[slot]) + ' = ' + brief(i.grad)));
  } else if (node.formula) {
    out.push(line('local gradient of ' + node.op + ': ' + node.formula));
  }
  const s = sumView(i.node, i.out);
  if (s) out.push(s);
  const checks = checkItemsOf(n).filter(c => c.slot === slot);
  if (checks.length) out.push(section('Gradient check', ...checks.map(checkView)));
  return out;
}

function valueDetails(type, n, k) {
  const name = valueName(n, k);
  if (type === 'output') {
    return [h('h2', null, 'output ' + name), tensorView(name, nodes[n].value[k]),
            tensorView('seed (the upstream gradient it starts the backward pass with)', seeds.get(vkey(n, k)))];
  }
  return [h('h2', null, 'Σ of ' + name), sumView(n, k) || line('used once'), tensorView('total gradient of ' + name, nodes[n].grad[k])];
}

function groupDetails(g) {
  const group = groups[g];
  const ops = group.members.filter(n => nodes[n].kind === 'op');
  return [h('h2', null, group.label), line((group.kind === 'call' ? 'function call' : 'group') + ' · ' + ops.length + ' ops · ' +
          (group.collapsed ? 'collapsed' : 'expanded')), line('ops: ' + ops.map(title).join(', '))];
}

function checkSummary() {
  const c = data.check;
  const failed = c.items.filter(i => i.status === 'fail' || i.status === 'nonfinite');
  const out = [h('h2', null, 'Gradient check of ' + data.file),
               line(c.items.length + ' checked, ' + (failed.length ? failed.length + ' failed' : 'all pass') +
                    ' (eps ' + c.eps + ', rtol ' + c.rtol + ', atol ' + c.atol + ')')];
  for (const item of c.items) {
    const b = h('button', 'gv-link gv-check-' + item.status, item.status.toUpperCase() + '  ' + item.subject);
    b.addEventListener('click', () => select({ type: 'node', n: item.node }, true));
    out.push(h('div', null, b));
  }
  out.push(h('div', 'gv-note', 'An input is checked against finite differences of the whole objective; an op is checked alone, ' +
    'as ⟨u, op(inputs)⟩ for a seeded random upstream u at the inputs it receives here, so a wrong backward is pinned to its node.'));
  return out;
}
"""#
}
