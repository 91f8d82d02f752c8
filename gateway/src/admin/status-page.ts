// The status page at /_powerstore/ (behind the admin credential): one
// self-contained HTML document (no outside scripts, styles or fonts) that
// polls /_powerstore/status.json every two seconds and draws the nodes (up,
// down, lagging, evidence against each, bytes held, disk free) and plots of
// the last hour from the gateway's own samples (samples.ts).

export const STATUS_PAGE_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>PoWerStore S3 status</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1b1f24;background:#fafbfc}
h1{font-size:1.3rem;margin:0 0 .3rem} .sub{color:#57606a;margin-bottom:1rem}
table{border-collapse:collapse;margin:.5rem 0 1.2rem;background:#fff}
th,td{border:1px solid #d0d7de;padding:.3rem .6rem;text-align:left} th{background:#f0f3f6}
.up{color:#116329;font-weight:600} .down{color:#b42318;font-weight:700}
.verdict{display:inline-block;padding:.15rem .6rem;border-radius:.8rem;font-weight:700}
.ok{background:#dafbe1;color:#116329} .degraded{background:#fff3c4;color:#7a4d00} .unavailable{background:#ffd8d3;color:#b42318}
.plots{display:grid;grid-template-columns:repeat(auto-fill,minmax(330px,1fr));gap:1rem}
.plot{background:#fff;border:1px solid #d0d7de;padding:.5rem} .plot h2{font-size:.95rem;margin:0 0 .3rem}
svg{width:100%;height:120px} .last{color:#57606a;font-size:.85rem}
</style></head><body>
<h1>PoWerStore S3 <span id="verdict" class="verdict">…</span></h1>
<div class="sub" id="sub">loading…</div>
<table id="nodes"><thead><tr><th>node</th><th>state</th><th>latency</th><th>evidence</th><th>lagging reads</th><th>stored</th><th>disk free</th><th>url</th></tr></thead><tbody></tbody></table>
<div class="plots" id="plots"></div>
<script>
const PLOTS = [
  ['S3 requests / s', s => s.requestsPerS, v => v.toFixed(1)],
  ['server errors / s', s => s.serverErrorsPerS, v => v.toFixed(2)],
  ['latency p99 (ms)', s => s.p99Ms, v => v.toFixed(0)],
  ['latency p50 (ms)', s => s.p50Ms, v => v.toFixed(0)],
  ['nodes up', s => s.nodesUp, v => v.toFixed(0)],
  ['bytes stored', s => s.bytesStored, size],
  ['least disk free', s => s.minDiskFreeBytes, size],
];
function size(b) { if (b == null) return '-'; const u = ['B','KiB','MiB','GiB','TiB']; let i = 0; while (b >= 1024 && i < 4) { b /= 1024; i++; } return (i ? b.toFixed(1) : b) + ' ' + u[i]; }
function esc(s) { return String(s).replace(/[&<>"]/g, c => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c])); }
function plot(title, get, fmt, samples) {
  const pts = samples.map(s => [s.t, get(s)]).filter(p => p[1] != null);
  // The last hour, or since the first sample when the gateway has run less long.
  const W = 320, H = 110, now = Date.now(), t0 = Math.max(now - 3600e3, pts.length ? pts[0][0] : now - 60e3);
  const span = Math.max(1, now - t0);
  const max = Math.max(1e-9, ...pts.map(p => p[1]));
  const xy = pts.map(([t, v]) => [((t - t0) / span) * W, H - (v / max) * (H - 10)]);
  const path = xy.map((p, i) => (i ? 'L' : 'M') + p[0].toFixed(1) + ',' + p[1].toFixed(1)).join(' ');
  const last = pts.length ? fmt(pts[pts.length - 1][1]) : '-';
  return '<div class="plot"><h2>' + esc(title) + ' <span class="last">now ' + esc(last) + ', max ' + esc(pts.length ? fmt(max) : '-') + '</span></h2>' +
    '<svg viewBox="0 0 ' + W + ' ' + H + '" preserveAspectRatio="none"><line x1="0" y1="' + H + '" x2="' + W + '" y2="' + H + '" stroke="#d0d7de"/>' +
    '<path d="' + path + '" fill="none" stroke="#0969da" stroke-width="1.5"/></svg>' +
    '<div class="last">since ' + new Date(t0).toLocaleTimeString() + '</div></div>';
}
async function refresh() {
  try {
    const r = await fetch('status.json', { credentials: 'same-origin', cache: 'no-store' });
    if (!r.ok) throw new Error('status.json answered ' + r.status);
    const s = await r.json();
    const v = document.getElementById('verdict');
    v.textContent = s.status; v.className = 'verdict ' + s.status;
    const up = s.nodes.filter(n => n.up).length;
    document.getElementById('sub').textContent = up + ' of ' + s.nodes.length + ' storage nodes answer (t=' + s.t + ': up to ' + s.t + ' may be down or lying) · gateway ' + s.writer + ' · ' + new Date().toLocaleTimeString();
    document.querySelector('#nodes tbody').innerHTML = s.nodes.map(n => {
      const ev = Object.entries(n.evidence).map(([k, c]) => k + ' ×' + c).join(', ') || 'none';
      return '<tr data-node="' + n.index + '"><td>' + n.index + '</td><td class="' + (n.up ? 'up">up' : 'down">DOWN') + '</td><td>' +
        (n.latencyMs == null ? '-' : n.latencyMs.toFixed(1) + ' ms') + '</td><td>' + esc(ev) + '</td><td>' + n.lagging + '</td><td>' + size(n.bytes) +
        '</td><td>' + size(n.diskFreeBytes) + '</td><td>' + esc(n.url || '') + '</td></tr>';
    }).join('');
    document.getElementById('plots').innerHTML = PLOTS.map(([t, g, f]) => plot(t, g, f, s.samples)).join('');
  } catch (e) {
    document.getElementById('sub').textContent = 'cannot load status: ' + e.message;
  }
}
refresh();
setInterval(refresh, 2000);
</script></body></html>
`;
