/**
 * The web simulator: one self-contained page (HTML, CSS, JS as a string: no build step, no file
 * system, so it is served the same way on Node and Workers). It dials through the gateway's real
 * `POST /ussd/<provider>` routes, in the chosen provider's own wire format.
 */
export const SIMULATOR_PAGE = /* html */ `<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Guichet — simulateur USSD</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 0; background: #eef1f4; color: #1d2329; }
  main { display: flex; gap: 24px; padding: 24px; flex-wrap: wrap; align-items: flex-start; }
  .phone { width: 260px; background: #2b3138; border-radius: 28px; padding: 20px 16px; box-shadow: 0 6px 18px #0003; }
  .screen { background: #c9d8b6; border-radius: 6px; min-height: 180px; padding: 8px; font-family: "DejaVu Sans Mono", monospace;
            font-size: 12px; white-space: pre-wrap; word-break: break-word; color: #16200f; }
  .status { display: flex; justify-content: space-between; font-size: 11px; color: #c8ced6; margin: 6px 2px; }
  .status .over { color: #ff8a80; font-weight: bold; }
  .entry { display: flex; gap: 6px; margin: 8px 0; }
  .entry input { flex: 1; font-size: 16px; padding: 4px 6px; border-radius: 4px; border: none; }
  .keys { display: grid; grid-template-columns: repeat(3, 1fr); gap: 6px; }
  button { font-size: 15px; padding: 8px 0; border-radius: 8px; border: none; background: #4a525c; color: #fff; cursor: pointer; }
  button.call { background: #2e7d32; } button.hang { background: #c62828; }
  .calls { display: grid; grid-template-columns: 1fr 1fr; gap: 6px; margin-top: 8px; }
  section.panel { background: #fff; border-radius: 10px; padding: 14px 18px; min-width: 320px; max-width: 560px; box-shadow: 0 2px 8px #0001; }
  label { display: block; font-size: 13px; margin: 6px 0 2px; }
  select, .panel input { font-size: 14px; padding: 4px; width: 100%; box-sizing: border-box; }
  ol#trace { font-family: monospace; font-size: 12px; padding-left: 20px; max-height: 260px; overflow: auto; }
  ol#trace li { margin-bottom: 4px; white-space: pre-wrap; }
  .drafts { font-size: 11px; color: #ffd180; margin: 4px 2px; min-height: 14px; white-space: pre-wrap; }
  pre#graph { font-size: 11px; max-height: 260px; overflow: auto; background: #f6f8fa; padding: 8px; }
</style>
</head>
<body>
<main>
  <div class="phone">
    <div id="screen" class="screen" data-testid="screen">Composez un code, par exemple *123#</div>
    <div class="status"><span id="counter" data-testid="counter">0/160</span><span id="language" data-testid="language">langue: —</span></div>
    <div id="drafts" class="drafts" data-testid="drafts"></div>
    <div class="entry"><input id="entry" data-testid="entry" autocomplete="off" placeholder="*123#"><button id="send" data-testid="send">OK</button></div>
    <div class="keys">
      <button>1</button><button>2</button><button>3</button><button>4</button><button>5</button><button>6</button>
      <button>7</button><button>8</button><button>9</button><button>*</button><button>0</button><button>#</button>
    </div>
    <div class="calls"><button class="call" id="dial" data-testid="dial">Appeler</button><button class="hang" id="hangup" data-testid="hangup">Raccrocher</button></div>
  </div>
  <section class="panel">
    <label for="provider">Fournisseur (format des requêtes)</label>
    <select id="provider" data-testid="provider"></select>
    <label for="phone">Numéro du téléphone</label>
    <input id="phone" data-testid="phone" value="+2290197000001">
    <label for="code">Code composé</label>
    <input id="code" data-testid="code" value="*123#">
    <h3>SMS reçus (route sandbox, rien n'est envoyé)</h3>
    <ol id="sms" data-testid="sms"></ol>
    <h3>Trace de la session</h3>
    <ol id="trace" data-testid="trace"></ol>
    <button id="save" data-testid="save" style="padding:6px 10px">Enregistrer la transcription (YAML)</button>
    <h3>Menu (Mermaid)</h3>
    <pre id="graph" data-testid="graph"></pre>
  </section>
</main>
<script type="module">
const $ = (id) => document.getElementById(id);
const LIMIT = 160;
const GSM7 = new Set(Array.from('@£$¥èéùìòÇ\\nØø\\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà'));
const GSM7_EXT = new Set(Array.from('\\f^{}\\\\[~]|€'));

// Each provider's wire format: how its aggregator asks, and how to read the screen back.
const DIALECTS = {
  africastalking: {
    request: (h) => ({ type: 'application/x-www-form-urlencoded', body: new URLSearchParams({ sessionId: h.sessionId, serviceCode: h.dialBase, phoneNumber: h.phone, networkCode: '61602', text: h.history.join('*') }).toString() }),
    read: (body) => ({ text: body.replace(/^(CON|END) /, ''), end: body.startsWith('END') }),
    // Africa's Talking carries no dialled string: the extra inputs go as the first inputs.
    dialThrough: false,
  },
  hubtel: {
    request: (h) => json({ Type: h.begin ? 'initiation' : 'response', Mobile: h.phone.replace('+', ''), SessionId: h.sessionId, ServiceCode: h.dialBase.replace(/[*#]/g, ''), Message: h.begin ? h.dialled : h.input, Operator: 'mtn', Sequence: h.sequence, ClientState: '', Platform: 'USSD' }),
    read: (body) => { const a = JSON.parse(body); return { text: a.Message, end: a.Type === 'Release' }; },
    dialThrough: true,
  },
  nalo: {
    request: (h) => json({ USERID: 'simulateur', MSISDN: h.phone.replace('+', ''), USERDATA: h.begin ? h.dialled : h.input, MSGTYPE: h.begin, NETWORK: 'MTN', SESSIONID: h.sessionId }),
    read: (body) => { const a = JSON.parse(body); return { text: a.MSG, end: !a.MSGTYPE }; },
    dialThrough: true,
  },
  arkesel: {
    request: (h) => json({ sessionID: h.sessionId, userID: 'simulateur', newSession: h.begin, msisdn: h.phone.replace('+', ''), userData: h.begin ? h.dialled : h.input, network: 'MTN' }),
    read: (body) => { const a = JSON.parse(body); return { text: a.message, end: !a.continueSession }; },
    dialThrough: true,
  },
  'mtn-madapi': {
    request: (h) => json({ sessionId: h.sessionId, messageType: h.begin ? '0' : '1', msisdn: h.phone.replace('+', ''), serviceCode: h.dialBase.replace(/[*#]/g, ''), ussdString: h.begin ? h.dialled : h.input, cellId: '61602-0001', language: 'fr', imsi: '616020000000001' }),
    // MADAPI answers an envelope: the screen and whether it ends are under data.
    read: (body) => { const a = JSON.parse(body).data; return { text: a.inboundResponse, end: a.messageType === 2 }; },
    dialThrough: true,
  },
};
function json(value) { return { type: 'application/json', body: JSON.stringify(value) }; }

let session = null;

function measure(text) {
  let septets = 0; const ucs2 = [];
  for (const ch of text) { if (GSM7.has(ch)) septets++; else if (GSM7_EXT.has(ch)) septets += 2; else ucs2.push(ch); }
  return ucs2.length ? { units: text.length, limit: Math.floor(LIMIT * 7 / 16), encoding: 'UCS-2', ucs2 } : { units: septets, limit: LIMIT, encoding: 'GSM-7', ucs2 };
}

function show(text, end) {
  $('screen').textContent = text + (end ? '\\n\\n[fin de session]' : '');
  const m = measure(text);
  const counter = $('counter');
  counter.textContent = m.units + '/' + m.limit + ' ' + m.encoding + (m.ucs2.length ? ' (' + [...new Set(m.ucs2)].join('') + ')' : '');
  counter.className = m.units > m.limit ? 'over' : '';
}

function trace(line) { const li = document.createElement('li'); li.textContent = line; $('trace').appendChild(li); li.scrollIntoView(); }

async function hop(input) {
  const dialect = DIALECTS[$('provider').value];
  const begin = session.hops.length === 0;
  if (!begin) session.history.push(input);
  const request = dialect.request({ ...session, begin, input, sequence: session.hops.length + 1 });
  const res = await fetch('/ussd/' + $('provider').value, { method: 'POST', headers: { 'content-type': request.type }, body: request.body });
  const body = await res.text();
  if (!res.ok) { show('Erreur ' + res.status + ': ' + body, true); trace('HTTP ' + res.status + ' ' + body); session.closed = true; return; }
  const screen = dialect.read(body);
  session.hops.push(begin ? { expect: (screen.end ? 'END ' : 'CON ') + screen.text } : { send: input, expect: (screen.end ? 'END ' : 'CON ') + screen.text });
  trace((begin ? 'composé ' + session.dialled : '> ' + input) + '\\n' + screen.text);
  show(screen.text, screen.end);
  session.closed = screen.end;
  await refreshLanguage();
  // The SMS leaves through the queue a moment after the hop: looked at again shortly after.
  await refreshSms();
  setTimeout(() => void refreshSms(), 800);
}

// The sandbox route's texts to this phone (a code sent by SMS): shown here since none leaves the machine.
async function refreshSms() {
  const res = await fetch('/simulator/sms?' + new URLSearchParams({ phone: session.phone }));
  if (!res.ok) return;
  const { messages } = await res.json();
  $('sms').replaceChildren(...messages.map((m) => { const li = document.createElement('li'); li.textContent = m.at.slice(11, 19) + ' ' + m.text; return li; }));
}

async function refreshLanguage() {
  const res = await fetch('/simulator/session?' + new URLSearchParams({ provider: $('provider').value, sessionId: session.sessionId }));
  if (!res.ok) return;
  const info = await res.json();
  $('language').textContent = 'langue: ' + (info.language ?? '—');
  // Texts of this screen a native speaker has not reviewed yet: marked, never hidden.
  const drafts = info.drafts ?? [];
  const lines = drafts.map((d) => '• ' + d.key + ': ' + d.text);
  if (info.draftNavigation) lines.push('• navigation (0, 00, 98) et messages du service');
  $('drafts').textContent = lines.length ? '⚠ BROUILLON (draft) — à relire par un locuteur natif:\\n' + lines.join('\\n') : '';
  $('drafts').dataset.count = String(drafts.length);
}

async function dial() {
  const dialled = $('code').value.trim() || $('entry').value.trim();
  const dialect = DIALECTS[$('provider').value];
  const parts = dialled.replace(/^\\*|#$/g, '').split('*');
  // Dialects without the dialled string get the base code and the extra parts as first inputs.
  const dialBase = dialect.dialThrough ? dialled : '*' + parts.slice(0, menuCodeLength(dialled)).join('*') + '#';
  session = { sessionId: 'sim-' + Date.now().toString(36) + Math.random().toString(36).slice(2, 6), phone: $('phone').value.trim(), dialled, dialBase, history: [], hops: [], closed: false };
  $('trace').innerHTML = '';
  $('entry').value = '';
  await hop('');
  if (!dialect.dialThrough) for (const extra of parts.slice(menuCodeLength(dialled))) if (!session.closed) await hop(extra);
  showGraph();
}

let menus = [];
function menuCodeLength(dialled) {
  let best = 1;
  for (const m of menus) for (const code of m.serviceCodes) {
    const n = code.replace(/^\\*|#$/g, '').split('*').length;
    if ((dialled === code || dialled.startsWith(code.slice(0, -1) + '*')) && n > best) best = n;
  }
  return best;
}
function showGraph() {
  const dialled = session ? session.dialled : $('code').value;
  const menu = menus.filter((m) => m.serviceCodes.some((c) => dialled === c || dialled.startsWith(c.slice(0, -1) + '*')))
    .sort((a, b) => Math.max(...b.serviceCodes.map((c) => c.length)) - Math.max(...a.serviceCodes.map((c) => c.length)))[0];
  $('graph').textContent = menu ? menu.mermaid : '';
}

async function send() {
  const input = $('entry').value.trim();
  $('entry').value = '';
  if (!session || session.closed) { if (input) $('code').value = input; return dial(); }
  await hop(input);
}

function saveTranscript() {
  if (!session) return;
  const quote = (s) => JSON.stringify(s);
  const yaml = ['name: ' + quote('simulateur ' + new Date().toISOString()), 'dial: ' + quote(session.dialBase), 'phone: ' + quote(session.phone), 'hops:']
    .concat(session.hops.flatMap((h) => (h.send !== undefined ? ['  - send: ' + quote(h.send), '    expect: ' + quote(h.expect)] : ['  - expect: ' + quote(h.expect)])))
    .join('\\n') + '\\n';
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([yaml], { type: 'application/yaml' }));
  a.download = 'transcription.yaml';
  a.click();
  $('save').dataset.yaml = yaml;
}

for (const key of document.querySelectorAll('.keys button')) key.addEventListener('click', () => { $('entry').value += key.textContent; });
$('send').addEventListener('click', send);
$('entry').addEventListener('keydown', (e) => { if (e.key === 'Enter') send(); });
$('dial').addEventListener('click', dial);
$('hangup').addEventListener('click', () => { if (session) { session.closed = true; trace('raccroché'); show('Session terminée', true); } });
$('save').addEventListener('click', saveTranscript);
$('code').addEventListener('change', showGraph);

const info = await (await fetch('/simulator/menus')).json();
menus = info.menus;
for (const name of info.providers) { const o = document.createElement('option'); o.value = o.textContent = name; $('provider').appendChild(o); }
showGraph();
document.body.dataset.ready = 'yes';
</script>
</body>
</html>
`;
