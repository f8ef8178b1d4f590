// The key's timeline: one lane per kind of entry on a shared time axis, a marker per event, refusal or use, and
// the as-of cursor. Plain SVG built with DOM calls (no inline styles, so the page's CSP can forbid them).

export const KINDS = {
  lifecycle: { label: 'Lifecycle', color: '#2563eb' },
  material: { label: 'Key material', color: '#7c3aed' },
  config: { label: 'Configuration', color: '#64748b' },
  usage: { label: 'Usage', color: '#0d9488' },
  refused: { label: 'Refused', color: '#dc2626' },
};
const LANES = Object.keys(KINDS);

const SVG = 'http://www.w3.org/2000/svg';
const el = (name, attributes = {}, text) => {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
};

const STEPS = [1e3, 5e3, 15e3, 6e4, 3e5, 9e5, 36e5, 3 * 36e5, 6 * 36e5, 12 * 36e5, 864e5, 2 * 864e5, 7 * 864e5, 30 * 864e5];
const pad = (n) => String(n).padStart(2, '0');
function tickLabel(ms, step) {
  const d = new Date(ms);
  const date = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}${step < 6e4 ? `:${pad(d.getUTCSeconds())}` : ''}`;
  return step >= 864e5 ? date : time;
}

/**
 * Draws `entries` ({ at, kind, label, principal, outcome }) into `host` between `from` and `to` (epoch ms), with
 * the cursor at `asOf`. `onPick(ms)` is called with the moment under a click.
 */
export function renderTimeline(host, { entries, from, to, asOf, onPick }) {
  const width = Math.max(host.clientWidth, 640);
  const left = 128;
  const right = 24;
  const top = 28;
  const laneHeight = 46;
  const height = top + LANES.length * laneHeight + 34;
  const span = Math.max(to - from, 1000);
  const start = from - span * 0.03;
  const end = to + span * 0.03;
  const x = (ms) => left + ((ms - start) / (end - start)) * (width - left - right);

  const svg = el('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'Key timeline', class: 'timeline-svg' });
  LANES.forEach((kind, i) => {
    const y = top + i * laneHeight;
    svg.append(el('rect', { x: left, y, width: width - left - right, height: laneHeight, class: i % 2 ? 'lane lane-odd' : 'lane' }));
    svg.append(el('circle', { cx: 14, cy: y + laneHeight / 2, r: 5, fill: KINDS[kind].color }));
    svg.append(el('text', { x: 26, y: y + laneHeight / 2 + 4, class: 'lane-label' }, KINDS[kind].label));
  });

  const axisY = top + LANES.length * laneHeight;
  const step = STEPS.find((s) => (end - start) / s <= 8) ?? STEPS[STEPS.length - 1];
  for (let tick = Math.ceil(start / step) * step; tick <= end; tick += step) {
    svg.append(el('line', { x1: x(tick), x2: x(tick), y1: top, y2: axisY + 5, class: 'grid' }));
    svg.append(el('text', { x: x(tick), y: axisY + 20, class: 'tick', 'text-anchor': 'middle' }, tickLabel(tick, step)));
  }
  svg.append(el('text', { x: width - right, y: 16, class: 'tick', 'text-anchor': 'end' }, 'UTC'));

  // Labels of nearby markers in one lane alternate above and below, so simultaneous events stay readable.
  const lastLabel = new Map();
  for (const entry of entries) {
    const cy = top + LANES.indexOf(entry.kind) * laneHeight + laneHeight / 2;
    const cx = x(entry.at);
    const color = KINDS[entry.kind].color;
    const marker =
      entry.kind === 'usage'
        ? el('rect', { x: cx - 2, y: cy - 9, width: 4, height: 18, rx: 1, fill: entry.outcome === 'Refused' ? KINDS.refused.color : color, class: 'marker' })
        : entry.kind === 'refused'
          ? el('path', { d: `M${cx - 6},${cy - 6}L${cx + 6},${cy + 6}M${cx + 6},${cy - 6}L${cx - 6},${cy + 6}`, stroke: color, 'stroke-width': 3, class: 'marker marker-cross' })
          : el('circle', { cx, cy, r: 7, fill: color, class: 'marker' });
    marker.setAttribute('data-kind', entry.kind);
    marker.append(el('title', {}, `${new Date(entry.at).toISOString()}\n${entry.label}\n${entry.principal}${entry.detail ? `\n${entry.detail}` : ''}`));
    svg.append(marker);
    if (entry.kind !== 'usage' && entry.short) {
      const previous = lastLabel.get(entry.kind);
      const below = previous !== undefined && cx - previous.x < 70 && !previous.below;
      lastLabel.set(entry.kind, { x: cx, below });
      svg.append(el('text', { x: cx, y: below ? cy + 20 : cy - 11, class: 'marker-label', 'text-anchor': 'middle' }, entry.short));
    }
  }

  if (asOf !== undefined) {
    const cx = x(Math.min(Math.max(asOf, start), end));
    svg.append(el('line', { x1: cx, x2: cx, y1: top - 6, y2: axisY, class: 'cursor' }));
    svg.append(el('text', { x: cx, y: top - 10, class: 'cursor-label', 'text-anchor': cx > width - 160 ? 'end' : 'start' }, `as of ${new Date(asOf).toISOString().replace('T', ' ').replace('Z', ' UTC')}`));
  }

  svg.addEventListener('click', (event) => {
    const box = svg.getBoundingClientRect();
    const px = ((event.clientX - box.left) / box.width) * width;
    if (px < left) return;
    onPick?.(Math.round(start + ((px - left) / (width - left - right)) * (end - start)));
  });
  host.replaceChildren(svg);
}
