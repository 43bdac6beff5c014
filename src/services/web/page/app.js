// The what-if page: one ES module, no framework. It talks to the what-if API of `nftlens serve`
// (docs/api.md) and draws the answers: a packet's verdict with its path highlighted on the
// policy's own rules, the analysis findings, the tenant reachability matrix and the diff of two
// policies — each witness one click (or Enter) from being evaluated. Everything from the server or
// the user goes into the page as text (textContent), never as markup.

const $ = (id) => document.getElementById(id);

/** The server's answer as JSON; a non-2xx answer throws an ApiError carrying the located diagnostics. */
async function call(method, path, body) {
  const init = { method, headers: { accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError([`the server cannot be reached: ${e.message}`]);
  }
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    throw new ApiError([`HTTP ${res.status}: ${text.slice(0, 200)}`]);
  }
  if (!res.ok) throw new ApiError(errorLines(json, res.status));
  return json;
}

class ApiError extends Error {
  constructor(lines) {
    super(lines.join('\n'));
    this.lines = lines;
  }
}

/** One line per diagnostic, as the CLI prints them; else the error's code and message (docs/api.md, Errors). */
function errorLines(json, status) {
  const e = json.error && typeof json.error === 'object' ? json.error : json;
  if (Array.isArray(e.diagnostics) && e.diagnostics.length) return e.diagnostics.map(diagnosticText);
  return [e.message ? `${e.code ? `${e.code}: ` : ''}${e.message}` : `HTTP ${status}`];
}

/** src/model/diagnostics.ts formatDiagnostic, for diagnostics the server sends as data. */
function diagnosticText(d) {
  const where = originText(d.origin);
  return `${d.severity}[${d.code}] ${where ? `${where}: ` : ''}${d.message}`;
}

/** src/model/origin.ts formatOrigin, for origins the server sends as data. */
function originText(o) {
  if (!o) return '';
  const parts = [];
  if (o.file !== undefined) parts.push(o.file + (o.line !== undefined ? `:${o.line}` + (o.column !== undefined ? `:${o.column}` : '') : ''));
  const where = [];
  for (const k of ['resource', 'table', 'chain', 'rule']) if (o[k]) where.push(`${k} ${o[k]}`);
  if (o.field) where.push(`field ${o.field}`);
  if (where.length) parts.push(where.join(', '));
  return parts.join(' ');
}

const enc = encodeURIComponent;
const api = {
  policies: () => call('GET', '/v1/policies'),
  policy: (name) => call('GET', `/v1/policies/${enc(name)}`),
  evaluate: (name, packet) => call('POST', `/v1/policies/${enc(name)}/evaluate`, { packet, trace: true }),
  analyze: (name) => call('POST', `/v1/policies/${enc(name)}/analyze`, {}),
  isolation: (policy, tenants) => call('POST', '/v1/isolation', { policy, tenants }),
  diff: (oldPolicy, newPolicy) => call('POST', '/v1/diff', { old: oldPolicy, new: newPolicy }),
};

// ---------------------------------------------------------------------------------------------
// Small DOM helpers: elements built from text only.

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== undefined && c !== null) e.append(c);
  return e;
}

function showError(id, err) {
  const p = $(id);
  if (!err) {
    p.hidden = true;
    p.textContent = '';
    return;
  }
  p.textContent = err instanceof ApiError ? err.lines.join('\n') : String(err.message ?? err);
  p.hidden = false;
}

/**
 * Runs an action behind a button: errors shown in place next to the input. A busy button ignores
 * presses (aria-busy), and is not disabled: a disabled button would lose the keyboard's focus.
 */
async function guarded(button, errorId, action) {
  if (button?.getAttribute('aria-busy') === 'true') return;
  showError(errorId, null);
  button?.setAttribute('aria-busy', 'true');
  try {
    await action();
  } catch (e) {
    showError(errorId, e);
  } finally {
    button?.removeAttribute('aria-busy');
  }
}

/** 2^x for header counts (they reach 2^364). */
function headersText(n) {
  if (!(n > 0)) return '0';
  return n < 1e6 ? String(n) : `2^${Math.log2(n).toFixed(1)}`;
}

function witnessButton(packet, policy, label) {
  return el('button', { type: 'button', class: 'witness', 'aria-label': `Evaluate witness ${packet}${label ? ` (${label})` : ''} on policy ${policy}`,
    onclick: () => evaluateWitness(policy, packet) }, 'Evaluate witness');
}

function packetLine(text) {
  return el('code', { class: 'packet', text });
}

// ---------------------------------------------------------------------------------------------
// State: the policy shown, and its rules (ids → elements).

const state = { policy: undefined, ruleEls: new Map(), chainEls: new Map(), rules: undefined };

async function loadPolicies() {
  await guarded(null, 'policy-error', async () => {
    const json = await api.policies();
    const list = json.policies;
    for (const id of ['policy', 'diff-old', 'diff-new']) {
      const s = $(id);
      s.replaceChildren(...list.map((p) => el('option', { value: p.name, text: p.name })));
    }
    if (list.length > 1) $('diff-new').selectedIndex = 1;
    if (!list.length) throw new Error('no policies loaded: start nftlens serve with -f POLICY, or PUT one to /v1/policies/{name}');
    const wanted = new URLSearchParams(location.search).get('policy');
    if (wanted && list.some((p) => p.name === wanted)) $('policy').value = wanted;
    await selectPolicy($('policy').value);
  });
}

async function selectPolicy(name) {
  state.policy = name;
  $('verdict').replaceChildren();
  $('findings').replaceChildren();
  $('findings-summary').textContent = '';
  $('matrix').replaceChildren();
  $('breach').replaceChildren();
  $('isolation-summary').textContent = '';
  const detail = await api.policy(name);
  state.rules = byTable(detail.chains);
  drawRules(state.rules);
  const n = detail.summary;
  $('policy-summary').textContent = `${n.tables} table(s), ${n.chains} chain(s), ${n.rules} rule(s), ${detail.warnings} warning(s)`;
  $('policy-warnings').replaceChildren(...(detail.diagnostics ?? []).map((d) => el('li', { text: diagnosticText(d) })));
}

/** The policy's chains (GET /v1/policies/{name}) grouped by table, in ruleset order. */
function byTable(chains) {
  const tables = [];
  for (const c of chains) {
    let t = tables[tables.length - 1];
    if (!t || t.name !== c.table) tables.push((t = { name: c.table, resource: c.origin?.resource, chains: [] }));
    const base = c.hook !== undefined ? { type: c.type, hook: c.hook, priority: c.priority, policy: c.policy } : undefined;
    const rules = c.rules.map((r) => {
      const name = r.origin?.rule ?? r.label.slice(`${c.label} rule `.length);
      // The renderer puts a Liqo rule's name in its comment: shown once, as the name.
      const comment = ` comment ${JSON.stringify(name)}`;
      return { ...r, name, nft: r.nft?.endsWith(comment) ? r.nft.slice(0, -comment.length) : r.nft };
    });
    t.chains.push({ ...c, base, rules });
  }
  return { tables };
}

function drawRules(listing) {
  state.ruleEls.clear();
  state.chainEls.clear();
  const out = [];
  for (const t of listing.tables) {
    const chains = t.chains.map((c) => {
      const head = c.base ? `type ${c.base.type} hook ${c.base.hook} priority ${c.base.priority}; policy ${c.base.policy}` : 'regular chain';
      const policy = c.base ? el('li', { class: 'policy', text: `policy ${c.base.policy}` }) : undefined;
      const rules = c.rules.map((r) => {
        const li = el('li', { class: 'rule', 'data-rule': r.id, title: originText(r.origin) },
          el('span', { class: 'rule-name', text: r.name }),
          el('code', { class: 'rule-text', text: r.nft ?? '(not expressible as nft text)' }));
        state.ruleEls.set(r.id, li);
        return li;
      });
      const box = el('div', { class: 'chain', 'data-chain': c.id },
        el('h4', {}, el('span', { text: `chain ${c.name}` }), el('span', { class: 'muted', text: ` ${head}` })),
        el('ol', { class: 'rule-list' }, rules, policy));
      state.chainEls.set(c.id, { box, policy });
      return box;
    });
    out.push(el('div', { class: 'table' },
      el('h3', {}, `table ${t.name}`, t.resource ? el('span', { class: 'muted', text: ` — resource ${t.resource}` }) : undefined),
      chains));
  }
  if (!out.length) out.push(el('p', { class: 'muted', text: 'This policy has no chains.' }));
  $('rules').replaceChildren(...out);
}

// ---------------------------------------------------------------------------------------------
// Evaluate: verdict, hooks, and the trace drawn on the rules.

function clearHighlights() {
  for (const li of state.ruleEls.values()) li.classList.remove('matched', 'decided', 'failed');
  for (const { box, policy } of state.chainEls.values()) {
    box.classList.remove('entered', 'skipped');
    policy?.classList.remove('decided');
  }
}

async function evaluate() {
  const packet = $('packet').value.trim();
  await guarded($('evaluate-button'), 'packet-error', async () => {
    clearHighlights();
    $('verdict').replaceChildren();
    if (!packet) throw new Error('type a packet, e.g. tcp 10.0.0.1:1024 -> 10.0.0.2:80 iif eth0');
    drawResult(await api.evaluate(state.policy, packet));
  });
}

/** What decided a result (or one outcome of it), for people. */
function decidedText(r) {
  if (r.by === 'rule') return r.rule.label;
  if (r.by === 'policy') return `policy of ${r.chain.label}`;
  if (r.by === 'route') return 'the routing decision (a broadcast or multicast frame is forwarded nowhere)';
  return 'no base chain saw the packet';
}

/**
 * A result that depends on state (numgen, limit, a dynamic set…): every outcome listed with the
 * ways its draws took; the first is drawn on the rules.
 */
function drawOutcomes(r) {
  drawResult({ ...r.outcomes[0], packet: r.packet });
  const head = r.verdict === 'depends-on-state' ? 'DEPENDS ON STATE' : `${String(r.verdict).toUpperCase()} in every outcome`;
  const items = r.outcomes.map((o) => el('li', { class: `outcome ${o.verdict}` }, el('strong', { text: String(o.verdict).toUpperCase() }), ` by ${decidedText(o)} — ${o.state.join('; ')}`));
  $('verdict').prepend(
    el('p', { class: 'verdict depends' }, el('strong', { class: 'badge', text: head }), ` ${r.outcomes.length}${r.moreOutcomes ? '+' : ''} outcomes as the state allows; the first is shown on the rules`),
    el('ol', { class: 'outcomes', 'aria-label': 'Outcomes' }, items),
  );
}

/** One packet's EvalResult (docs/api.md): the verdict, what decided, the hooks; the trace drawn on the rules. */
function drawResult(r) {
  if (r.outcomes) return drawOutcomes(r);
  const rules = state.rules;
  const label = (id) => findRule(rules, id)?.label ?? `rule #${id}`;
  const chainName = (id) => findChain(rules, id)?.label ?? `chain #${id}`;
  const decided = decidedText(r);
  const ruleId = r.rule?.id;
  const chainId = r.chain?.id;
  const steps = [];
  for (const e of r.trace ?? []) {
    switch (e.kind) {
      case 'hook': steps.push(el('li', { class: 'step hook', text: `hook ${e.hook}` })); break;
      case 'conntrack': steps.push(el('li', { class: 'step', text: `conntrack: ct state ${e.state}` })); break;
      case 'route': steps.push(el('li', { class: 'step', text: `route: ${e.local ? 'local (input)' : e.dropped ? 'dropped (a broadcast or multicast frame)' : 'forward'}` })); break;
      case 'draw': steps.push(el('li', { class: 'step', text: `state: way ${e.choice + 1} of ${e.of} (expression ${e.expr + 1} of ${label(e.rule)})` })); break;
      case 'chain':
        state.chainEls.get(e.chain)?.box.classList.add('entered');
        steps.push(el('li', { class: 'step', text: `${e.via === 'hook' ? 'chain' : e.via} ${chainName(e.chain)}` }));
        break;
      case 'nat-skip':
        state.chainEls.get(e.chain)?.box.classList.add('skipped');
        steps.push(el('li', { class: 'step', text: `skip nat chain ${chainName(e.chain)} (not a new connection)` }));
        break;
      case 'rule':
        state.ruleEls.get(e.rule)?.classList.add('matched');
        steps.push(el('li', { class: 'step', text: `match ${label(e.rule)}` }));
        break;
      case 'fail':
        state.ruleEls.get(e.rule)?.classList.add('failed');
        steps.push(el('li', { class: 'step', text: `no match at expression ${e.expr + 1}` }));
        break;
      case 'verdict': steps.push(el('li', { class: 'step', text: `${e.verdict}` })); break;
      case 'return': steps.push(el('li', { class: 'step', text: `return from ${chainName(e.chain)}` })); break;
      case 'policy': steps.push(el('li', { class: 'step', text: `policy ${e.verdict} of ${chainName(e.chain)}` })); break;
      case 'stmt': steps.push(el('li', { class: 'step', text: `statement (expression ${e.expr + 1})` })); break;
      case 'truncated': steps.push(el('li', { class: 'step', text: '(trace truncated)' })); break;
    }
  }
  if (r.by === 'rule' && ruleId !== undefined) state.ruleEls.get(ruleId)?.classList.add('decided');
  if (r.by === 'policy' && chainId !== undefined) state.chainEls.get(chainId)?.policy?.classList.add('decided');
  const hooks = (r.hooks ?? []).map((h) => el('li', { text: h }));
  $('verdict').replaceChildren(
    el('p', { class: `verdict ${r.verdict}` }, el('strong', { class: 'badge', text: String(r.verdict).toUpperCase() }), ` by ${decided}`),
    r.by === 'rule' ? el('p', { class: 'origin muted', text: originText(r.rule.origin) }) : undefined,
    el('div', { class: 'path' }, el('span', { class: 'muted', text: 'path ' }), el('ol', { class: 'hooks', 'aria-label': 'Hooks on the path' }, hooks)),
    rewritten(r.packet, r.after),
    steps.length ? el('details', {}, el('summary', { text: `trace (${steps.length} steps)` }), el('ol', { class: 'trace' }, steps)) : undefined,
  );
  const first = ruleId !== undefined ? state.ruleEls.get(ruleId) : chainId !== undefined ? state.chainEls.get(chainId)?.box : undefined;
  first?.scrollIntoView({ block: 'nearest' });
}

function findChain(listing, id) {
  for (const t of listing?.tables ?? []) for (const c of t.chains) if (c.id === id) return c;
  return undefined;
}

function findRule(listing, id) {
  for (const t of listing?.tables ?? []) for (const c of t.chains) for (const r of c.rules) if (r.id === id) return r;
  return undefined;
}

/** What NAT and mark statements changed in the packet (`daddr 10.0.0.1 → 10.0.0.9`), if anything. */
function rewritten(before, after) {
  const changes = Object.keys(after ?? {}).filter((k) => JSON.stringify(after[k]) !== JSON.stringify(before?.[k])).map((k) => `${k} ${before?.[k]} → ${after[k]}`);
  return el('p', { class: 'muted' }, changes.length ? ['packet after: ', packetLine(changes.join(', '))] : 'packet unchanged (no NAT or mark rewrite)');
}

/** A witness, evaluated: the policy picked, the packet typed in, the verdict shown and focused. */
async function evaluateWitness(policy, packet) {
  if (policy !== state.policy) {
    $('policy').value = policy;
    await guarded(null, 'policy-error', () => selectPolicy(policy));
  }
  $('packet').value = packet;
  await evaluate();
  $('verdict').focus();
  $('evaluate').scrollIntoView({ block: 'start' });
}

// ---------------------------------------------------------------------------------------------
// Findings, isolation matrix, diff.

async function analyze() {
  await guarded($('analyze'), 'findings-error', async () => {
    $('findings').replaceChildren();
    const policy = state.policy;
    const json = await api.analyze(policy);
    const findings = json.findings ?? [];
    const s = json.summary;
    $('findings-summary').textContent = s ? `${s.error} error(s), ${s.warning} warning(s), ${s.info} info over ${s.rules} rule(s)` : `${findings.length} finding(s)`;
    if (!findings.length) $('findings-summary').textContent += ': no findings';
    $('findings').replaceChildren(...findings.map((f) => el('li', { class: `card sev-${f.severity}` },
      el('p', {}, el('strong', { class: 'badge', text: f.severity }), ' ', el('span', { class: 'kind', text: f.kind }), ' ', el('span', { text: f.rule ?? f.chain ?? '' })),
      el('p', { class: 'origin muted', text: originText(f.origin) }),
      el('p', { text: f.message }),
      (f.packets ?? []).length ? el('p', {}, el('span', { class: 'muted', text: 'packets ' }), ...f.packets.map(packetLine)) : undefined,
      f.witness ? el('p', {}, el('span', { class: 'muted', text: 'witness ' }), packetLine(f.witness), ' ', witnessButton(f.witness, policy, `${f.kind} ${f.rule ?? ''}`)) : undefined)));
  });
}

async function isolation() {
  await guarded($('isolation-button'), 'tenants-error', async () => {
    $('matrix').replaceChildren();
    $('breach').replaceChildren();
    $('isolation-summary').textContent = '';
    const tenants = $('tenants').value;
    if (!tenants.trim()) throw new Error('paste or upload a tenants file first (YAML: tenants: NAME: {sources, destinations, interfaces})');
    const policy = state.policy;
    const json = await api.isolation(policy, tenants);
    $('isolation-summary').textContent = json.isolated ? `${json.tenants.length} tenant(s): isolated` : `${json.tenants.length} tenant(s): BREACHED — ${json.breaches.length} breach(es)`;
    drawMatrix(json, policy);
  });
}

function drawMatrix(json, policy) {
  const names = json.tenants;
  const breachAt = new Map(json.breaches.map((b) => [`${b.from}\u0000${b.to}`, b]));
  const rows = names.map((from, i) => el('tr', {},
    el('th', { scope: 'row', text: from }),
    names.map((to, j) => {
      const b = breachAt.get(`${from}\u0000${to}`);
      const what = i === j ? 'self' : b ? 'BREACH' : 'isolated';
      const cell = el('button', { type: 'button', class: `cell ${i === j ? 'self' : b ? 'breach' : 'ok'}`, 'data-row': i, 'data-col': j,
        'aria-label': `${from} to ${to}: ${what}${b ? ', open its witness' : ''}`,
        onclick: () => showCell(from, to, i === j, b, policy) }, what);
      cell.addEventListener('keydown', matrixKeys);
      return el('td', {}, cell);
    })));
  $('matrix').replaceChildren(el('table', { class: 'matrix', 'aria-label': 'Reachability: rows send, columns receive' },
    el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: 'from \\ to' }), names.map((n) => el('th', { scope: 'col', text: n })))),
    el('tbody', {}, rows)));
}

/** Arrow keys move between matrix cells (Tab reaches each of them too). */
function matrixKeys(ev) {
  const d = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] }[ev.key];
  if (!d) return;
  const row = Number(ev.currentTarget.dataset.row) + d[0];
  const col = Number(ev.currentTarget.dataset.col) + d[1];
  const next = $('matrix').querySelector(`button[data-row="${row}"][data-col="${col}"]`);
  if (next) {
    ev.preventDefault();
    next.focus();
  }
}

function showCell(from, to, self, b, policy) {
  const box = $('breach');
  if (!b) {
    box.replaceChildren(el('p', { class: 'muted', text: self ? `${from} → ${to}: a tenant's own traffic is not checked` : `${from} → ${to}: isolated — no packet from ${from} reaches ${to}` }));
  } else {
    box.replaceChildren(el('div', { class: 'card sev-error' },
      el('p', {}, el('strong', { class: 'badge', text: 'breach' }), ` ${b.from} → ${b.to}: accepted, decided by ${b.decidedBy}`),
      el('p', { class: 'origin muted', text: originText(b.origin) }),
      el('p', {}, el('span', { class: 'muted', text: 'packets ' }), ...(b.packets ?? []).map(packetLine)),
      el('p', {}, el('span', { class: 'muted', text: 'witness ' }), packetLine(b.witness), ' ', witnessButton(b.witness, policy, `${b.from} to ${b.to}`))));
  }
  box.focus();
}

async function diff() {
  await guarded($('diff-button'), 'diff-error', async () => {
    $('diff').replaceChildren();
    $('diff-summary').textContent = '';
    const oldName = $('diff-old').value;
    const newName = $('diff-new').value;
    const json = await api.diff(oldName, newName);
    const changes = json.changes ?? [];
    $('diff-summary').textContent = json.changed ? `${oldName} → ${newName}: ${changes.length} change(s)` : `${oldName} → ${newName}: no packet changes fate`;
    const fate = (x) => [x.verdict, x.rule ?? x.by].filter(Boolean).join(' by ');
    $('diff').replaceChildren(...changes.map((c) => el('li', { class: 'card change' },
      el('p', {}, el('strong', { text: `${fate(c.before)} → ${fate(c.after)}` }), c.headers ? el('span', { class: 'muted', text: ` ${headersText(c.headers)} headers` }) : undefined),
      el('ul', { class: 'packets' }, (c.packets ?? []).map((p) => el('li', {}, packetLine(p)))),
      c.witness ? el('p', {}, el('span', { class: 'muted', text: 'witness ' }), packetLine(c.witness), ' ', witnessButton(c.witness, newName, 'on the new policy')) : undefined)));
  });
}

// ---------------------------------------------------------------------------------------------

$('policy').addEventListener('change', (ev) => guarded(null, 'policy-error', () => selectPolicy(ev.target.value)));
$('packet-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  evaluate();
});
$('analyze').addEventListener('click', analyze);
$('tenants-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  isolation();
});
$('tenants-file').addEventListener('change', async (ev) => {
  const f = ev.target.files?.[0];
  if (f) $('tenants').value = await f.text();
});
$('diff-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  diff();
});
loadPolicies();
