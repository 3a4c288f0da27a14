extension ExplorerPage {
    /// The page's script, part 4: stepping through the backward pass (step 1: the output
    /// with its seed; then one node per step in the engine's order) and the forward pass.
    static let scriptSteps = #"""
// ---- the backward pass, one node per step ------------------------------------------------
const backward = data.backward, forward = data.forward;
// Position of each node in the engine's order, to tell which Σ terms have arrived.
const backwardStep = new Map(backward.map((n, i) => [n, i + 1]));
function termArrived(term, step) { return term.consumer < 0 || backwardStep.get(term.consumer) <= step; }

function backwardStepDetails(step) {
  const n = backward[step - 1], node = nodes[n];
  const out = [h('h2', null, 'Backward pass · step ' + step + ' of ' + backward.length + ': ' + title(n)),
               line(node.names.filter(Boolean).join(', ') + ' = ' + opCall(n))];
  const folded = notDrawnNote(n);
  if (folded) out.push(folded);
  const sendsAt = out.length + (step === 1 ? 1 : 0);
  if (step === 1) {
    const seeded = data.outputs.map(o => valueName(o.node, o.out) + ' receives its seed ' + brief(seeds.get(vkey(o.node, o.out))));
    out.push(line('The backward pass starts at the output' + (seeded.length > 1 ? 's' : '') + ': ' + seeded.join('; ') + '.'));
  }
  // Upstream: the complete gradient of each output of this node (every use is done by now).
  node.names.forEach((_, k) => {
    const terms = sumTerms(n, k);
    const name = valueName(n, k);
    if (!node.grad[k]) return;
    const from = terms.map(t => t.consumer < 0 ? 'seed' : title(t.consumer)).join(', ');
    out.push(line('upstream gradient ∂objective/∂' + name + ' = ' + brief(node.grad[k]) + (terms.length > 1 ? ' (Σ of ' + terms.length + ' terms: ' + from + ')' : ' (from ' + from + ')')));
  });
  const sends = [];
  node.inputs.forEach((i, slot) => {
    const from = valueName(i.node, i.out);
    if (!i.grad) { out.push(line(i.slot + ' = ' + from + ': no gradient (' + (nodes[i.node].kind === 'const' ? 'a constant' : 'does not need one') + ')')); return; }
    const box = section('to ' + from + ' (' + i.slot + ')');
    if (node.local && node.local[slot] !== null && node.local[slot] !== undefined) {
      box.append(line('local derivative ∂' + node.names[0] + '/∂' + from + ' = ' + fmt(node.local[slot])));
      box.append(line('downstream = upstream × local = ' + fmt(node.grad[0].data[0]) + ' × ' + fmt(node.local[slot]) + ' = ' + fmt(i.grad.data[0])));
    } else {
      box.append(line('local gradient (vector-Jacobian product, the Jacobian is never formed): ' + node.formula));
      box.append(tensorView('downstream gradient sent to ' + from, i.grad));
    }
    // The Σ at a value used more than once, as it accumulates term by term.
    const terms = sumTerms(i.node, i.out);
    if (terms.length > 1) {
      const arrived = terms.filter(t => termArrived(t, step));
      let partial = null;
      for (const t of arrived) partial = addTensors(partial, t.grad);
      const equation = arrived.map((t, j) => signed(brief(t.grad), j === 0)).join(' ');
      box.append(line('Σ at ' + from + ': ' + arrived.length + ' of ' + terms.length + ' terms so far: ' + equation + ' = ' + brief(partial) +
        (arrived.length === terms.length ? ' (complete: the gradient of ' + from + ')' : '')));
    }
    out.push(box);
    sends.push(brief(i.grad) + ' to ' + from);
  });
  if (sends.length) out.splice(sendsAt, 0, line(title(n) + ' sends ' + sends.join(' and ') + '.'));
  if (step === backward.length) out.push(line('Last step: every gradient is known.'));
  return out;
}

function forwardStepDetails(step) {
  const n = forward[step - 1], node = nodes[n];
  const out = [h('h2', null, 'Forward pass · step ' + step + ' of ' + forward.length + ': ' + title(n)),
               line(node.names.filter(Boolean).join(', ') + ' = ' + opCall(n)), notDrawnNote(n)];
  node.inputs.forEach(i => out.push(line(i.slot + ' = ' + valueName(i.node, i.out) + ' = ' + brief(nodes[i.node].value[i.out]))));
  node.value.forEach((v, k) => out.push(tensorView(valueName(n, k), v)));
  return out;
}

// Marks the drawing for a step: the current node, the edges it sends along, what is done.
function showStep(mode, step) {
  unmark('gv-current'); unmark('gv-done'); unmark('gv-step-edge');
  canvas.classList.add('gv-stepping');
  const order = mode === 'backward' ? backward : forward;
  const n = order[step - 1];
  reveal(n);
  const direction = mode === 'backward' ? 'backward' : 'forward';
  const edgesOfNode = m => (nodes[m].inputs || []).flatMap((_, slot) => edgesOfSlot(m, slot)).filter(e => e.classList.contains(direction));
  for (let j = 0; j < step - 1; j++) {
    for (const el of elementsOfNode(order[j])) mark(el, 'gv-done');
    for (const el of edgesOfNode(order[j])) mark(el, 'gv-done');
  }
  if (mode === 'backward') {
    for (const o of data.outputs) { const e = outputElement.get(vkey(o.node, o.out)); mark(e, 'gv-done'); }
    nodes[n].inputs.forEach((i, slot) => { for (const e of edgesOfSlot(n, slot)) if (e.classList.contains('backward')) mark(e, 'gv-step-edge'); });
  } else {
    nodes.forEach((node, m) => { if (node.kind === 'param' || node.kind === 'data') for (const el of elementsOfNode(m)) mark(el, 'gv-done'); });
    nodes[n].inputs.forEach((i, slot) => { for (const e of edgesOfSlot(n, slot)) if (e.classList.contains('forward')) mark(e, 'gv-step-edge'); });
  }
  for (const el of elementsOfNode(n)) mark(el, 'gv-current');
  centreOn(drawnElement(n));
}
function clearStep() {
  unmark('gv-current'); unmark('gv-done'); unmark('gv-step-edge');
  canvas.classList.remove('gv-stepping');
}
"""#
}
