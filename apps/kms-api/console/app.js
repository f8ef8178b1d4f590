// The audit console: sign in, list the account's keys, and for one key show its timeline (events, refusals, uses),
// its state as of any moment (the REST API's ?asOf=, replayed from the key's stream), the log's verification, and
// an export of what is shown. Everything is built with textContent: event data (descriptions, tags) is untrusted.
import { ApiError, KeyledgerApi } from './api.js';
import { KINDS, renderTimeline } from './timeline.js';

const $ = (id) => document.getElementById(id);
function h(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  node.append(...children.flat().filter((c) => c !== undefined && c !== null).map((c) => (c instanceof Node ? c : String(c))));
  return node;
}

const state = { api: undefined, who: '', keys: [], key: undefined, entries: [], from: 0, to: 0, asOf: undefined, asOfResult: undefined, verification: undefined };
let asOfRequest = 0;

// ---------- formatting ----------
const iso = (ms) => new Date(ms).toISOString();
const shortTime = (text) => (text ? text.replace('T', ' ').replace(/\.\d{3}Z$|Z$/, '') : '—');
const shortId = (id) => (id && id.length > 16 ? `${id.slice(0, 8)}…${id.slice(-4)}` : id ?? '—');
const stateClass = (s) => `badge state-${String(s ?? 'unknown').toLowerCase()}`;
const principalId = (p) => (!p ? 'unknown' : p.type === 'Service' ? p.invokedBy ?? 'keyledger' : p.accessKeyId ?? p.name ?? 'unknown');
const principalText = (p) => (!p ? 'unknown' : p.type === 'Service' ? `${p.invokedBy ?? 'keyledger'} (service)` : `${p.accessKeyId ?? ''}${p.name ? ` · ${p.name}` : ''}`);

function kindOf(type) {
  const t = type.replace(/\.v\d+$/, '');
  if (/Material|ImportParameters|^KeyRotated$/.test(t)) return 'material';
  if (/^Key(Created|Enabled|Disabled|Deleted|DeletionScheduled|DeletionCanceled)$/.test(t)) return 'lifecycle';
  return 'config';
}
const SHORT = {
  KeyCreated: 'created', KeyEnabled: 'enabled', KeyDisabled: 'disabled', KeyDeleted: 'deleted', KeyDeletionScheduled: 'deletion scheduled',
  KeyDeletionCanceled: 'deletion canceled', KeyMaterialImported: 'imported', KeyMaterialDeleted: 'material deleted', KeyMaterialExpired: 'expired',
  ImportParametersIssued: 'parameters', KeyMaterialRotated: 'rotated', KeyRotated: 'rotated',
};
const HIDDEN_DATA = new Set(['keyId', 'arn', 'keyArn', 'accountId', 'region', 'awsAccountId']);
function summarize(data) {
  if (!data || typeof data !== 'object') return '';
  const parts = Object.entries(data)
    .filter(([k, v]) => !HIDDEN_DATA.has(k) && v !== null && v !== undefined && typeof v !== 'object')
    .map(([k, v]) => `${k}=${typeof v === 'string' && v.length > 24 && /^[0-9a-f]+$/i.test(v) ? shortId(v) : v}`);
  const text = parts.join(', ');
  return text.length > 110 ? `${text.slice(0, 107)}…` : text;
}

// ---------- sign-in ----------
function credentialsFromForm() {
  const mode = document.querySelector('input[name="mode"]:checked').value;
  if (mode === 'bearer') return { kind: 'bearer', token: $('bearer-token').value.trim() };
  return { kind: 'sigv4', accessKeyId: $('access-key-id').value.trim(), secretAccessKey: $('secret-access-key').value, region: $('region').value.trim() || 'us-east-1' };
}

async function signIn(event) {
  event.preventDefault();
  const credentials = credentialsFromForm();
  $('signin-error').textContent = '';
  $('sign-in').disabled = true;
  try {
    const api = new KeyledgerApi(credentials);
    await api.get('/v1/keys', [['limit', 1]]);
    state.api = api;
    state.who = credentials.kind === 'bearer' ? 'bearer token' : `${credentials.accessKeyId} · ${credentials.region}`;
    $('secret-access-key').value = '';
    $('bearer-token').value = '';
    $('signin-view').hidden = true;
    $('console-view').hidden = false;
    $('session').hidden = false;
    $('signed-in-as').textContent = `Signed in as ${state.who}`;
    await Promise.all([loadKeys(), loadVerification()]);
  } catch (error) {
    $('signin-error').textContent = error instanceof ApiError ? `Sign-in refused: ${error.message}` : `Sign-in failed: ${error.message}`;
  } finally {
    $('sign-in').disabled = false;
  }
}

function signOut() {
  Object.assign(state, { api: undefined, who: '', keys: [], key: undefined, entries: [], asOf: undefined, asOfResult: undefined, verification: undefined });
  $('console-view').hidden = true;
  $('session').hidden = true;
  $('signin-view').hidden = false;
  $('key-view').hidden = true;
  $('no-key').hidden = false;
}

// ---------- keys ----------
async function mapLimited(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  }));
  return out;
}

async function loadKeys() {
  $('keys').replaceChildren(h('span', { class: 'muted' }, 'Loading…'));
  try {
    const [ids, aliases] = await Promise.all([state.api.keyIds(), state.api.aliases()]);
    const byKey = new Map();
    for (const alias of aliases) byKey.set(alias.targetKeyId, [...(byKey.get(alias.targetKeyId) ?? []), alias.aliasName]);
    const keys = await mapLimited(ids, 4, async ({ keyId }) => {
      try {
        return { ...(await state.api.key(keyId)).body, aliases: byKey.get(keyId) ?? [] };
      } catch {
        return undefined; // deleted between the list and the read
      }
    });
    state.keys = keys.filter(Boolean);
    renderKeys();
  } catch (error) {
    $('keys').replaceChildren(h('p', { class: 'error' }, error.message));
  }
}

function materialExpiry(key) {
  if (key.origin !== 'EXTERNAL') return '—';
  if (key.expirationModel === 'KEY_MATERIAL_EXPIRES') return shortTime(key.validTo);
  if (key.expirationModel === 'KEY_MATERIAL_DOES_NOT_EXPIRE') return 'never';
  return 'no material';
}

function renderKeys() {
  if (state.keys.length === 0) return $('keys').replaceChildren(h('p', { class: 'muted' }, 'No keys in this account and region.'));
  const rows = state.keys.map((key) =>
    h('tr', { class: state.key?.keyId === key.keyId ? 'selected' : '', 'data-key-id': key.keyId, onclick: () => selectKey(key.keyId) },
      h('td', {}, h('div', { class: 'key-name' }, key.aliases[0] ?? (key.description || shortId(key.keyId))), h('div', { class: 'muted small mono' }, key.aliases.length > 1 ? `+${key.aliases.length - 1} more · ` : '', shortId(key.keyId))),
      h('td', {}, h('span', { class: stateClass(key.keyState) }, key.keyState)),
      h('td', { class: 'small' }, key.keySpec, h('div', { class: 'muted' }, key.origin)),
      h('td', { class: 'small nowrap', title: materialExpiry(key) }, materialExpiry(key).replace(/^(\d{4}-\d{2}-\d{2}) .*/, '$1')),
    ),
  );
  $('keys').replaceChildren(h('table', { class: 'key-table' }, h('thead', {}, h('tr', {}, h('th', {}, 'Key'), h('th', {}, 'State'), h('th', {}, 'Spec / origin'), h('th', {}, 'Expires'))), h('tbody', {}, rows)));
}

// ---------- one key ----------
async function selectKey(keyId) {
  try {
    await showKey(keyId);
  } catch (error) {
    $('key-view').hidden = true;
    $('no-key').hidden = false;
    $('no-key').replaceChildren(h('p', { class: 'error' }, `Cannot open the key: ${error.message}`));
  }
}

async function showKey(keyId) {
  const api = state.api;
  const [current, events, audit, usage] = await Promise.all([
    api.key(keyId),
    api.keyEvents(keyId),
    api.audit(keyId).catch(() => []), // 503 when the deployment has no audit read model
    api.keyUsage(keyId).catch(() => []),
  ]);
  const key = { ...current.body, aliases: state.keys.find((k) => k.keyId === keyId)?.aliases ?? [], revision: current.etag };
  const entries = events.map((e) => ({
    at: Date.parse(e.time), time: e.time, kind: kindOf(e.type), type: e.type, label: e.type.replace(/\.v\d+$/, ''), short: SHORT[e.type.replace(/\.v\d+$/, '')],
    operation: e.operation, principalId: principalId(e.principal), principal: principalText(e.principal), outcome: 'Succeeded', detail: summarize(e.data), revision: e.revision, requestId: e.requestId,
  }));
  const refused = audit.filter((r) => r.outcome === 'Refused');
  const refusedRequests = new Set(refused.map((r) => r.requestId));
  for (const r of refused) {
    entries.push({
      at: Date.parse(r.time), time: r.time, kind: 'refused', type: r.type, label: `${r.operation ?? 'Request'} refused`, operation: r.operation,
      principalId: principalId(r.principal), principal: principalText(r.principal), outcome: 'Refused', detail: [r.errorType, r.errorMessage].filter(Boolean).join(': '), requestId: r.requestId,
    });
  }
  for (const u of usage) {
    if (refusedRequests.has(u.requestId)) continue;
    entries.push({
      at: Date.parse(u.time), time: u.time, kind: u.outcome === 'Refused' ? 'refused' : 'usage', type: `${u.operation} (use)`, label: u.operation, operation: u.operation,
      principalId: principalId(u.principal), principal: principalText(u.principal), outcome: u.outcome, detail: u.errorType ?? (u.keyMaterialId ? `material ${shortId(u.keyMaterialId)}` : ''), requestId: u.requestId,
    });
  }
  entries.sort((a, b) => a.at - b.at);
  const created = Date.parse(key.creationDate);
  Object.assign(state, { key, entries, asOf: undefined, asOfResult: { body: current.body, etag: current.etag } });
  state.from = Math.min(created, entries[0]?.at ?? created);
  state.to = Math.max(Date.now(), entries[entries.length - 1]?.at ?? created);
  fillFilterOptions();
  renderKeys();
  $('no-key').hidden = true;
  $('key-view').hidden = false;
  renderKeyHead();
  const slider = $('asof-slider');
  slider.min = String(state.from);
  slider.max = String(state.to);
  slider.value = String(state.to);
  $('asof-input').value = '';
  $('asof-input').placeholder = 'latest — or an ISO-8601 moment';
  renderAll();
}

function renderKeyHead() {
  const key = state.key;
  $('key-title').replaceChildren(key.aliases[0] ?? key.keyId, ' ', h('span', { class: stateClass(key.keyState) }, key.keyState));
  $('key-arn').textContent = key.arn;
  const facts = [
    ['Key id', key.keyId], ['Spec', key.keySpec], ['Usage', key.keyUsage], ['Origin', key.origin], ['Created', shortTime(key.creationDate)],
    ['Material expires', materialExpiry(key)], ['Aliases', key.aliases.join(', ') || '—'], ['Description', key.description || '—'],
  ];
  $('key-facts').replaceChildren(...facts.map(([label, value]) => h('div', { class: 'fact' }, h('span', { class: 'muted small' }, label), h('span', { class: label === 'Key id' ? 'mono small' : '' }, value))));
}

// ---------- filters ----------
function fillFilterOptions() {
  const fill = (select, values) => {
    const chosen = select.value;
    select.replaceChildren(h('option', { value: '' }, 'All'), ...[...values].sort().map((v) => h('option', { value: v }, v)));
    select.value = values.has(chosen) ? chosen : '';
  };
  fill($('filter-principal'), new Set(state.entries.map((e) => e.principalId)));
  fill($('filter-type'), new Set(state.entries.map((e) => e.type)));
}

function parseMoment(text) {
  if (!text.trim()) return undefined;
  const ms = /^\d+$/.test(text.trim()) ? Number(text.trim()) : Date.parse(text.trim());
  return Number.isNaN(ms) ? NaN : ms;
}

function currentFilters() {
  return { principal: $('filter-principal').value || undefined, type: $('filter-type').value || undefined, from: $('filter-from').value.trim() || undefined, to: $('filter-to').value.trim() || undefined };
}

function visibleEntries() {
  const f = currentFilters();
  const from = f.from ? parseMoment(f.from) : undefined;
  const to = f.to ? parseMoment(f.to) : undefined;
  $('filter-from').classList.toggle('invalid', Number.isNaN(from));
  $('filter-to').classList.toggle('invalid', Number.isNaN(to));
  return state.entries.filter((e) =>
    (!f.principal || e.principalId === f.principal) && (!f.type || e.type === f.type) && !(from >= 0 && e.at < from) && !(to >= 0 && e.at >= to));
}

// ---------- rendering ----------
function renderAll() {
  const shown = visibleEntries();
  $('legend').replaceChildren(...Object.entries(KINDS).map(([, k]) => h('span', { class: 'legend-item' }, h('i', { class: 'dot', 'data-color': k.color }), k.label)));
  for (const dot of $('legend').querySelectorAll('i.dot')) dot.style.background = dot.dataset.color;
  renderTimeline($('timeline'), { entries: shown, from: state.from, to: state.to, asOf: state.asOf ?? state.to, onPick: (ms) => setAsOf(ms) });
  $('entry-count').textContent = `${shown.length} of ${state.entries.length}`;
  $('entries').replaceChildren(...shown.map((e) =>
    h('tr', { 'data-kind': e.kind, class: state.asOf !== undefined && e.at > state.asOf ? 'after-asof' : '' },
      h('td', { class: 'mono small nowrap' }, shortTime(e.time)),
      h('td', {}, h('span', { class: `kind kind-${e.kind}` }, KINDS[e.kind].label)),
      h('td', {}, e.label, e.revision !== undefined ? h('span', { class: 'muted small' }, ` · rev ${e.revision}`) : ''),
      h('td', { class: 'small' }, e.principal),
      h('td', {}, h('span', { class: e.outcome === 'Refused' ? 'badge state-refused' : 'badge state-ok' }, e.outcome)),
      h('td', { class: 'small detail' }, e.detail),
    )));
  renderAsOfState();
}

function renderAsOfState() {
  const result = state.asOfResult;
  const host = $('asof-state');
  if (!result) return host.replaceChildren(h('span', { class: 'muted' }, 'Loading…'));
  if (result.error) return host.replaceChildren(h('p', { class: 'error', 'data-testid': 'asof-error' }, result.error));
  const k = result.body;
  const fields = [
    ['State', h('span', { class: stateClass(k.keyState), id: 'asof-key-state' }, k.keyState)],
    ['Enabled', String(k.enabled)],
    ['Revision', (result.etag ?? '').replaceAll('"', '')],
    ['Expiration model', k.expirationModel ?? '—'],
    ['Material valid to', shortTime(k.validTo)],
    ['Current material', shortId(k.currentKeyMaterialId)],
    ['Deletion date', shortTime(k.deletionDate)],
    ['Description', k.description || '—'],
  ];
  const moment = state.asOf === undefined ? 'latest' : iso(state.asOf);
  host.replaceChildren(h('div', { class: 'asof-moment muted small', id: 'asof-moment' }, state.asOf === undefined ? 'Now (latest revision)' : `As of ${moment}`),
    h('div', { class: 'fact-grid' }, fields.map(([label, value]) => h('div', { class: 'fact' }, h('span', { class: 'muted small' }, label), h('span', {}, value)))));
}

async function setAsOf(ms) {
  if (!state.key) return;
  state.asOf = ms;
  $('asof-slider').value = String(ms ?? state.to);
  $('asof-input').value = ms === undefined ? '' : iso(ms);
  $('asof-input').classList.remove('invalid');
  const request = ++asOfRequest;
  renderAll();
  try {
    const { body, etag } = await state.api.key(state.key.keyId, ms === undefined ? undefined : iso(ms));
    if (request === asOfRequest) state.asOfResult = { body, etag };
  } catch (error) {
    if (request === asOfRequest) state.asOfResult = { error: error.status === 404 ? 'The key did not exist yet at this moment.' : error.message };
  }
  if (request === asOfRequest) renderAsOfState();
}

// ---------- verification ----------
async function loadVerification() {
  $('verification').replaceChildren(h('span', { class: 'muted' }, 'Verifying…'));
  try {
    state.verification = await state.api.verification();
    renderVerification();
  } catch (error) {
    state.verification = undefined;
    $('verification').replaceChildren(h('p', { class: 'error' }, error.message));
  }
}

function renderVerification() {
  const v = state.verification;
  const status = v.ok ? 'ok' : 'failed';
  const badge = h('div', { class: `verdict verdict-${status}`, id: 'verification-status', 'data-status': status }, v.ok ? '✔ Log verified' : `✖ Verification failed (${v.problemCount} problem${v.problemCount === 1 ? '' : 's'})`);
  const lines = [
    `${v.eventCount} events up to position ${v.headPosition}; hash chains recomputed.`,
    v.lastDigest ? `${v.digestCount} signed digest${v.digestCount === 1 ? '' : 's'} verified; the last, signed ${shortTime(v.lastDigest.signedAt)}, covers up to position ${v.lastDigest.toPosition}.` : 'No signed digest yet.',
    v.undigestedEventCount > 0 ? `${v.undigestedEventCount} newer event${v.undigestedEventCount === 1 ? '' : 's'} chained, not yet signed.` : undefined,
  ].filter(Boolean);
  const first = v.firstProblem;
  const broken = first && h('div', { class: 'broken', id: 'first-broken' },
    h('strong', {}, 'First broken event: '),
    `position ${first.position ?? '?'}`,
    first.event ? ` — ${first.event.keyId ? `key ${first.event.keyId}, ` : ''}${first.event.type ?? first.event.streamId}${first.event.revision !== undefined ? ` (revision ${first.event.revision})` : ''}` : '',
    h('div', { class: 'small' }, `${first.kind}: ${first.message}`));
  $('verification').replaceChildren(badge, h('ul', { class: 'small plain' }, lines.map((l) => h('li', {}, l))), broken ?? '',
    v.warnings.length ? h('details', { class: 'small' }, h('summary', {}, `${v.warnings.length} limitation${v.warnings.length === 1 ? '' : 's'}`), v.warnings.map((w) => h('p', {}, w))) : '',
    h('div', { class: 'muted small mono', title: 'SHA-256 of the digest signing public key' }, `key ${shortId(v.publicKeyFingerprint)} · ${shortTime(v.verifiedAt)}`));
}

// ---------- export ----------
function exportShown() {
  if (!state.key) return;
  const document_ = {
    exportedAt: new Date().toISOString(),
    signedInAs: state.who,
    key: state.key,
    filters: currentFilters(),
    asOf: state.asOfResult?.body ? { moment: state.asOf === undefined ? 'latest' : iso(state.asOf), revision: Number((state.asOfResult.etag ?? '').replaceAll('"', '')), key: state.asOfResult.body } : undefined,
    entries: visibleEntries().map(({ at: _at, short: _short, ...entry }) => entry),
    verification: state.verification,
  };
  const url = URL.createObjectURL(new Blob([JSON.stringify(document_, null, 2)], { type: 'application/json' }));
  const link = h('a', { href: url, download: `keyledger-${state.key.keyId}-audit.json` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// ---------- wiring ----------
function wire() {
  $('signin-form').addEventListener('submit', signIn);
  for (const radio of document.querySelectorAll('input[name="mode"]')) {
    radio.addEventListener('change', () => {
      const bearer = document.querySelector('input[name="mode"]:checked').value === 'bearer';
      $('sigv4-fields').hidden = bearer;
      $('bearer-fields').hidden = !bearer;
    });
  }
  $('sign-out').addEventListener('click', signOut);
  $('refresh-keys').addEventListener('click', loadKeys);
  $('reverify').addEventListener('click', loadVerification);
  for (const id of ['filter-principal', 'filter-type']) $(id).addEventListener('change', renderAll);
  for (const id of ['filter-from', 'filter-to']) $(id).addEventListener('change', renderAll);
  $('clear-filters').addEventListener('click', () => {
    for (const id of ['filter-principal', 'filter-type', 'filter-from', 'filter-to']) $(id).value = '';
    renderAll();
  });
  $('export').addEventListener('click', exportShown);
  let sliderTimer;
  $('asof-slider').addEventListener('input', () => {
    clearTimeout(sliderTimer);
    const ms = Number($('asof-slider').value);
    sliderTimer = setTimeout(() => setAsOf(ms >= state.to ? undefined : ms), 120);
  });
  $('asof-input').addEventListener('change', () => {
    const ms = parseMoment($('asof-input').value);
    if (Number.isNaN(ms)) return $('asof-input').classList.add('invalid');
    setAsOf(ms);
  });
  $('asof-latest').addEventListener('click', () => setAsOf(undefined));
  let resizeTimer;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => state.key && renderAll(), 100);
  });
}

wire();
