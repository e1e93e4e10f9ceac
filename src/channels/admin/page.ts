/**
 * The operator's dashboard: one HTML page, its style sheet and its script, as strings (no build
 * step, no file system: served the same way on any runtime). The page carries the numbers of the
 * moment it was served (a JSON data block, never run), draws them with uPlot, and refreshes them
 * from `/admin/api/summary` every 15 seconds. Everything is written into the page as text
 * (`textContent`), never as HTML.
 */

/** Where the JSON of the summary goes in the page. */
export const SUMMARY_SLOT = '__SUMMARY_JSON__';

export const DASHBOARD_PAGE = /* html */ `<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Guichet — tableau de bord</title>
<link rel="stylesheet" href="/admin/assets/uPlot.min.css">
<link rel="stylesheet" href="/admin/assets/dashboard.css">
</head>
<body>
<header>
  <h1>Guichet — tableau de bord de l'exploitant</h1>
  <p id="scope" data-testid="scope"></p>
</header>
<main>
  <section class="tiles">
    <div class="tile"><span class="label">Sessions en cours</span><span class="value" data-testid="live-sessions"></span></div>
    <div class="tile"><span class="label">Sauts, dernière minute</span><span class="value" data-testid="hops-last-minute"></span></div>
    <div class="tile"><span class="label">Paiements réussis</span><span class="value" data-testid="payment-success"></span></div>
    <div class="tile"><span class="label">SMS remis</span><span class="value" data-testid="sms-delivery"></span></div>
    <div class="tile"><span class="label">Disjoncteurs ouverts</span><span class="value" data-testid="open-breakers"></span></div>
    <div class="tile"><span class="label">Liens SMPP liés</span><span class="value" data-testid="smpp-bound"></span></div>
  </section>
  <section class="panel">
    <h2>Sauts par minute (dernière heure)</h2>
    <div id="hops-chart" class="chart" data-testid="hops-chart"></div>
  </section>
  <section class="panel">
    <h2>Entonnoir par menu : entrées et abandons par écran</h2>
    <div id="funnels" data-testid="funnels"></div>
  </section>
  <section class="grid">
    <div class="panel"><h2>Paiements par fournisseur</h2><table data-testid="payments"></table></div>
    <div class="panel"><h2>SMS par route</h2><table data-testid="sms"></table></div>
    <div class="panel"><h2>Sessions par agrégateur et opérateur</h2><table data-testid="sessions-per-dialect"></table></div>
    <div class="panel"><h2>Disjoncteurs (portail)</h2><ul data-testid="breakers"></ul></div>
    <div class="panel"><h2>Liens SMPP</h2><ul data-testid="smpp-links"></ul></div>
    <div class="panel"><h2>Paiements à rapprocher</h2><table data-testid="reconciliation"></table></div>
    <div class="panel"><h2>Satisfaction du mois (notes 1 à 5)</h2><table data-testid="surveys"></table></div>
  </section>
</main>
<script type="application/json" id="summary">${SUMMARY_SLOT}</script>
<script src="/admin/assets/uPlot.iife.min.js"></script>
<script src="/admin/assets/dashboard.js"></script>
</body>
</html>
`;

export const DASHBOARD_STYLE = /* css */ `
body { font-family: system-ui, sans-serif; margin: 0; background: #eef1f4; color: #1d2329; }
header { background: #1f3a5f; color: #fff; padding: 12px 24px; }
header h1 { margin: 0; font-size: 20px; }
header p { margin: 4px 0 0; font-size: 13px; color: #d6e2f0; }
header p.stale { color: #ffcc80; }
main { padding: 16px 24px; display: flex; flex-direction: column; gap: 16px; }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px; }
.tile { background: #fff; border-radius: 10px; padding: 12px 14px; box-shadow: 0 2px 8px #0001; display: flex; flex-direction: column; }
.tile .label { font-size: 12px; color: #56606b; }
.tile .value { font-size: 26px; font-weight: 600; margin-top: 4px; }
.tile .value.bad { color: #c62828; }
.panel { background: #fff; border-radius: 10px; padding: 12px 16px; box-shadow: 0 2px 8px #0001; overflow-x: auto; }
.panel h2 { font-size: 15px; margin: 0 0 8px; }
.panel h3 { font-size: 14px; margin: 14px 0 4px; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(560px, 1fr)); gap: 16px; }
details { font-size: 12px; margin-top: 6px; }
summary { cursor: pointer; color: #56606b; }
.chart { min-height: 40px; }
table { border-collapse: collapse; font-size: 12px; width: 100%; }
th, td { border-bottom: 1px solid #e3e7eb; padding: 3px 6px; text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
th { color: #56606b; font-weight: 600; }
td.drop { color: #c62828; }
ul { margin: 0; padding-left: 18px; font-size: 13px; }
li.bad { color: #c62828; font-weight: 600; }
.empty { color: #8a949e; font-size: 13px; }
`;

export const DASHBOARD_SCRIPT = /* js */ `(function () {
  'use strict';
  var REFRESH_MS = 15000;
  var REASONS = { user_aborted: 'abandon', network_timeout: 'délai réseau', app_timeout: 'délai Guichet', error: 'erreur', completed: 'clos par le fournisseur', expired: 'expirée' };
  var charts = [];

  function byTestId(id) { return document.querySelector('[data-testid="' + id + '"]'); }
  function node(tag, text, attrs) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (attrs) Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    return e;
  }
  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); return e; }
  function percent(rate) { return rate === null || rate === undefined ? '—' : (Math.round(rate * 1000) / 10) + ' %'; }
  function when(iso) { return new Date(iso).toLocaleString('fr-FR', { timeZone: 'Africa/Porto-Novo' }); }
  function table(target, head, rows, empty) {
    clear(target);
    if (rows.length === 0) { if (empty) target.appendChild(node('caption', empty, { class: 'empty' })); return; }
    var tr = node('tr');
    head.forEach(function (h) { tr.appendChild(node('th', h)); });
    target.appendChild(node('thead')).appendChild(tr);
    var body = target.appendChild(node('tbody'));
    rows.forEach(function (row) {
      var line = body.appendChild(node('tr', null, row.attrs || {}));
      row.cells.forEach(function (cell) {
        var td = line.appendChild(node('td', cell.text === undefined ? cell : cell.text, cell.field ? { 'data-field': cell.field } : {}));
        if (cell.className) td.className = cell.className;
      });
    });
  }
  function clockTime(ts) { return new Date(ts * 1000).toLocaleTimeString('fr-FR', { timeZone: 'Africa/Porto-Novo', hour: '2-digit', minute: '2-digit' }); }
  function width(e) { return Math.max(320, (e.clientWidth || 800) - 8); }

  function render(s) {
    charts.forEach(function (c) { c.destroy(); });
    charts = [];
    var scope = byTestId('scope');
    scope.className = '';
    scope.textContent = 'Vue de cette instance, du ' + when(s.since) + ' au ' + when(s.at) + '. ' + s.note;

    var minute = s.at.slice(0, 16);
    var current = s.sessions.hopsPerMinute.filter(function (m) { return m.minute.slice(0, 16) === minute; })[0];
    byTestId('live-sessions').textContent = s.sessions.live;
    byTestId('hops-last-minute').textContent = current ? current.hops : 0;
    var paid = s.payments.reduce(function (a, p) { a.ok += p.counts.succeeded; a.all += p.counts.succeeded + p.counts.failed + p.counts.expired; return a; }, { ok: 0, all: 0 });
    byTestId('payment-success').textContent = paid.all ? percent(paid.ok / paid.all) : '—';
    var sent = s.sms.reduce(function (a, m) { a.ok += m.counts.delivered; a.all += m.counts.delivered + m.counts.failed + m.counts.expired; return a; }, { ok: 0, all: 0 });
    byTestId('sms-delivery').textContent = sent.all ? percent(sent.ok / sent.all) : '—';
    var open = s.breakers.filter(function (b) { return b.state !== 'closed'; }).length;
    var openTile = byTestId('open-breakers');
    openTile.textContent = open;
    openTile.className = 'value' + (open > 0 ? ' bad' : '');
    var bound = s.smppLinks.filter(function (l) { return l.bound; }).length;
    var linkTile = byTestId('smpp-bound');
    linkTile.textContent = s.smppLinks.length ? bound + ' / ' + s.smppLinks.length : '—';
    linkTile.className = 'value' + (bound < s.smppLinks.length ? ' bad' : '');

    drawHops(byTestId('hops-chart'), s.sessions.hopsPerMinute, s.at);
    var funnels = clear(byTestId('funnels'));
    s.funnels.forEach(function (menu) { drawFunnel(funnels, menu); });

    table(byTestId('payments'), ['Fournisseur', 'créés', 'en attente', 'réussis', 'échoués', 'expirés', 'signalés', 'réussite'],
      s.payments.map(function (p) {
        return { attrs: { 'data-provider': p.provider }, cells: [p.provider, { text: p.counts.created, field: 'created' }, { text: p.counts.pending, field: 'pending' },
          { text: p.counts.succeeded, field: 'succeeded' }, { text: p.counts.failed, field: 'failed' }, { text: p.counts.expired, field: 'expired' },
          { text: p.flagged, field: 'flagged' }, { text: percent(p.successRate), field: 'success' }] };
      }), 'Aucun paiement vu par cette instance.');
    table(byTestId('sms'), ['Route', 'en file', 'envoyés', 'incertains', 'remis', 'échoués', 'expirés', 'remise'],
      s.sms.map(function (m) {
        return { attrs: { 'data-route': m.route }, cells: [m.route, { text: m.counts.queued, field: 'queued' }, { text: m.counts.sent, field: 'sent' }, { text: m.counts.unknown, field: 'unknown' },
          { text: m.counts.delivered, field: 'delivered' }, { text: m.counts.failed, field: 'failed' }, { text: m.counts.expired, field: 'expired' },
          { text: percent(m.deliveryRate), field: 'delivery' }] };
      }), 'Aucun SMS vu par cette instance.');
    table(byTestId('sessions-per-dialect'), ['Agrégateur', 'opérateur', 'sessions closes', 'sauts moyens', 'durée moyenne (s)'],
      s.sessions.perDialect.map(function (d) {
        return { attrs: { 'data-dialect': d.dialect, 'data-operator': d.operator }, cells: [d.dialect, d.operator, { text: d.sessions, field: 'sessions' },
          { text: d.meanHops === null ? '—' : d.meanHops, field: 'mean-hops' }, { text: d.meanSeconds === null ? '—' : d.meanSeconds, field: 'mean-seconds' }] };
      }), 'Aucune session close.');
    list(byTestId('breakers'), s.breakers.map(function (b) { return { text: b.service + ' : ' + (b.state === 'closed' ? 'fermé' : b.state === 'open' ? 'OUVERT' : 'essai'), bad: b.state !== 'closed' }; }), 'Aucun service amont suivi.');
    list(byTestId('smpp-links'), s.smppLinks.map(function (l) { return { text: l.link + ' : ' + (l.bound ? 'lié' : 'NON LIÉ'), bad: !l.bound }; }), 'Aucun lien SMPP configuré.');
    table(byTestId('reconciliation'), ['Paiement', 'montant (XOF)', 'fournisseur', 'état', 'motif', 'créé le'],
      s.reconciliation.map(function (r) {
        return { attrs: { 'data-payment': r.id }, cells: [r.id, { text: r.amountXof, field: 'amount' }, r.provider, r.state, r.why, when(r.createdAt)] };
      }), 'Rien à rapprocher sur les sept derniers jours.');
    table(byTestId('surveys'), ['Agence', 'service', 'CCSP', '1', '2', '3', '4', '5', 'réponses', 'moyenne'],
      s.surveys.rows.map(function (r) {
        return { attrs: { 'data-agency': r.agency, 'data-service': r.service, 'data-ccsp': r.ccsp }, cells: [r.agency, r.service, r.ccsp,
          { text: r.ratings['1'], field: 'r1' }, { text: r.ratings['2'], field: 'r2' }, { text: r.ratings['3'], field: 'r3' }, { text: r.ratings['4'], field: 'r4' },
          { text: r.ratings['5'], field: 'r5' }, { text: r.answers, field: 'answers' }, { text: r.mean === null ? '—' : r.mean, field: 'mean' }] };
      }), 'Aucune réponse ce mois-ci (' + s.surveys.month + ').');
    document.body.setAttribute('data-ready', 'yes');
  }

  function list(target, items, empty) {
    clear(target);
    if (items.length === 0) { target.appendChild(node('li', empty, { class: 'empty' })); return; }
    items.forEach(function (item) { target.appendChild(node('li', item.text, item.bad ? { class: 'bad' } : {})); });
  }

  /** The last hour minute by minute, zero where nothing came, in Benin's time. */
  function drawHops(target, minutes, at) {
    clear(target);
    var byMinute = {};
    minutes.forEach(function (m) { byMinute[Math.floor(Date.parse(m.minute) / 60000)] = m.hops; });
    var last = Math.floor(Date.parse(at) / 60000);
    var xs = [], ys = [];
    for (var m = last - 59; m <= last; m++) { xs.push(m * 60); ys.push(byMinute[m] || 0); }
    charts.push(new uPlot({
      width: width(target), height: 180,
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1000), 'Africa/Porto-Novo'); },
      scales: { x: { range: [xs[0] - 30, xs[xs.length - 1] + 30] }, y: { range: function (u, min, max) { return [0, Math.max(1, max) * 1.15]; } } },
      axes: [{ values: function (u, splits) { return splits.map(clockTime); } }, {}],
      series: [{ label: 'minute' }, { label: 'sauts / min', stroke: '#1e88e5', fill: 'rgba(30,136,229,0.45)', paths: uPlot.paths.bars({ size: [0.8, 30] }), points: { show: false } }],
    }, [xs, ys], target));
  }

  function drawFunnel(container, menu) {
    var section = container.appendChild(node('div', null, { 'data-testid': 'funnel', 'data-menu': menu.menu }));
    section.appendChild(node('h3', menu.title + ' (' + menu.menu + ') — ' + menu.started + ' sessions ouvertes'));
    var shown = menu.nodes.filter(function (n) { return n.entered > 0 || n.dropped > 0 || n.ended > 0; });
    var chart = section.appendChild(node('div', null, { class: 'chart', 'data-testid': 'funnel-chart' }));
    if (shown.length === 0) {
      chart.appendChild(node('p', 'Aucune session sur ce menu.', { class: 'empty' }));
    } else {
      var xs = shown.map(function (n, i) { return i; });
      var names = shown.map(function (n) { return n.node; });
      var top = Math.max.apply(null, shown.map(function (n) { return Math.max(n.entered, n.dropped, n.ended); }));
      var bars = uPlot.paths.bars;
      charts.push(new uPlot({
        width: width(section), height: 280,
        scales: { x: { time: false, range: [-0.5, shown.length - 0.5] }, y: { range: [0, Math.max(1, top) * 1.1] } },
        axes: [
          { splits: function () { return xs; }, values: function (u, splits) { return splits.map(function (i) { return names[i] || ''; }); }, rotate: -30, size: 90, gap: 4 },
          {},
        ],
        series: [
          { label: 'écran' , value: function (u, i) { return i === null ? '' : names[i] || ''; } },
          { label: 'entrées', stroke: '#1e88e5', fill: 'rgba(30,136,229,0.35)', paths: bars({ size: [0.8, 90] }), points: { show: false } },
          { label: 'abandons ici', stroke: '#c62828', fill: 'rgba(198,40,40,0.75)', paths: bars({ size: [0.35, 40], align: -1 }), points: { show: false } },
          { label: 'fins (END)', stroke: '#2e7d32', fill: 'rgba(46,125,50,0.75)', paths: bars({ size: [0.35, 40], align: 1 }), points: { show: false } },
        ],
      }, [xs, shown.map(function (n) { return n.entered; }), shown.map(function (n) { return n.dropped; }), shown.map(function (n) { return n.ended; })], chart));
    }
    var grid = section.appendChild(node('table', null, { 'data-testid': 'funnel-table' }));
    table(grid, ['Écran', 'type', 'entrées', 'choix', 'refusées', 'fins (END)', 'abandons', 'dont', 'abandon %'],
      shown.map(function (n) {
        var choices = Object.keys(n.chose).sort().map(function (k) { return k + ': ' + n.chose[k]; }).join(', ');
        var why = Object.keys(n.droppedBy).filter(function (k) { return n.droppedBy[k] > 0; }).map(function (k) { return (REASONS[k] || k) + ' ' + n.droppedBy[k]; }).join(', ');
        return { attrs: { 'data-testid': 'funnel-row', 'data-menu': menu.menu, 'data-node': n.node }, cells: [n.node, n.type,
          { text: n.entered, field: 'entered' }, { text: choices, field: 'chose' }, { text: n.refused, field: 'refused' }, { text: n.ended, field: 'ended' },
          { text: n.dropped, field: 'dropped', className: n.dropped > 0 ? 'drop' : '' }, { text: why, field: 'dropped-by' },
          { text: n.entered > 0 ? percent(n.dropped / n.entered) : '—', field: 'drop-rate' }] };
      }), '');
    var unvisited = menu.nodes.filter(function (n) { return shown.indexOf(n) < 0; });
    if (unvisited.length > 0) {
      var more = section.appendChild(node('details', null, { 'data-testid': 'funnel-unvisited' }));
      more.appendChild(node('summary', unvisited.length + ' écran(s) sans passage'));
      more.appendChild(node('p', unvisited.map(function (n) { return n.node; }).join(', '), { class: 'empty' }));
    }
  }

  function refresh() {
    fetch('/admin/api/summary', { credentials: 'same-origin', headers: { accept: 'application/json' } })
      .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); })
      .then(render)
      .catch(function (error) {
        var scope = byTestId('scope');
        scope.className = 'stale';
        scope.textContent = 'Chiffres non rafraîchis (' + error.message + ') : rechargez la page. ' + scope.textContent;
      });
  }

  render(JSON.parse(document.getElementById('summary').textContent));
  setInterval(refresh, REFRESH_MS);
})();
`;
