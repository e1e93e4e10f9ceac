import { describe, expect, it } from 'vitest';
import { MemorySessionStore } from '../src/sessions/memory.js';
import { MenuRegistry } from '../src/engine/menu-registry.js';
import { parseMenu } from '../src/engine/menu-parse.js';
import type { ServiceRegistry } from '../src/services/service-registry.js';
import { atHop, createTestGateway, defaultServices } from '../testkit/harness.js';

const HOME = 'CON Service Public du Bénin\n1.Suivre une demande\n2.Payer des frais\n3.Trouver un CCSP\n4.Langue / Language\n5.Qui a consulté mon dossier';

/** Complete walks of the national menu: each row is one session, hop by hop. */
const walks: { name: string; phoneNumber?: string; hops: [text: string, screen: string | RegExp][] }[] = [
  {
    name: 'track a ready request',
    hops: [
      ['', HOME],
      ['1', 'CON Numéro de la demande (ex. PS00373-240001):\n0.Retour 00.Accueil'],
      ['1*ps00373-240001', 'END PS00373-240001 Extrait de casier judiciaire\nStatut: Disponible le 20/11/2026\nA retirer: CCSP Cotonou 1'],
    ],
  },
  {
    name: 'track someone else’s request: neutral answer, no status',
    phoneNumber: '+2290196000009',
    hops: [
      ['', HOME],
      ['1', /Numéro de la demande/],
      ['1*PS00373-240001', "CON Aucune demande PS00373-240001 n'est liée à ce numéro de téléphone.\n1.Prouver mon identité (NPI)\n2.Autre numéro de demande\n0.Retour 00.Accueil"],
      ['1*PS00373-240001*1', /^CON Votre NPI \(10 chiffres\):/],
      ['1*PS00373-240001*1*1234567890', /^CON Votre date de naissance \(JJMMAAAA\):/],
      ['1*PS00373-240001*1*1234567890*15031990', /^END PS00373-240001 Extrait de casier judiciaire\nStatut: Disponible/],
    ],
  },
  {
    name: 'malformed request number, then corrected',
    hops: [
      ['', HOME],
      ['1', /Numéro de la demande/],
      ['1*12345', 'CON Format attendu: PS00373-240001.\nNuméro de la demande (ex. PS00373-240001):\n0.Retour 00.Accueil'],
      ['1*12345*PS00150-240004', /^END PS00150-240004 Acte de naissance sécurisé\nStatut: Complément demandé le 19\/11\/2026\nComplétez-la sur service-public\.bj/],
    ],
  },
  {
    name: 'a status with no hint shows no empty line',
    hops: [
      ['', HOME],
      ['1', /Numéro de la demande/],
      ['1*PS00373-240002', 'END PS00373-240002 Extrait de casier judiciaire\nStatut: Soumise le 22/11/2026'],
    ],
  },
  {
    name: 'fee due',
    hops: [
      ['', HOME],
      ['2', /Numéro de la demande à payer/],
      ['2*PS00373-240002', 'CON Extrait de casier judiciaire\nMontant: 1 900 FCFA. Payer par mobile money?\n1.Confirmer\n2.Annuler\n3.Payer depuis un autre numéro\n0.Retour 00.Accueil'],
    ],
  },
  {
    name: 'CCSP by department, paged with 98',
    hops: [
      ['', HOME],
      ['3', /^CON Votre département:\n1\.Alibori[\s\S]*12\.Zou\n0\.Retour 00\.Accueil$/],
      ['3*8', /^CON CCSP Cotonou 1: Ganhi, pres de la Mairie\n[\s\S]*98\.Suite$/],
      ['3*8*98', /^END CCSP Cotonou 4: Fidjrosse, pres de la plage$/],
    ],
  },
  {
    name: 'back and home',
    hops: [
      ['', HOME],
      ['3', /Votre département/],
      ['3*0', HOME],
      ['3*0*1', /Numéro de la demande/],
      ['3*0*1*00', HOME],
    ],
  },
  {
    name: 'an input containing * is taken whole',
    hops: [
      ['', HOME],
      ['1', /Numéro de la demande/],
      ['1*PS*00373', /^CON Format attendu/],
    ],
  },
];

describe("national menu over Africa's Talking", () => {
  it.each(walks)('$name', async ({ hops, phoneNumber }) => {
    const { app } = await createTestGateway();
    const sessionId = `ATUid_${Math.random().toString(36).slice(2)}`;
    for (const [text, expected] of hops) {
      const res = await atHop(app, { sessionId, text, ...(phoneNumber ? { phoneNumber } : {}) });
      expect(res.status).toBe(200);
      if (typeof expected === 'string') expect(res.body).toBe(expected);
      else expect(res.body).toMatch(expected);
    }
  });

  it('remembers the chosen language per phone number across sessions', async () => {
    const { app } = await createTestGateway();
    await atHop(app, { sessionId: 'lang-1', text: '' });
    await atHop(app, { sessionId: 'lang-1', text: '4' });
    expect((await atHop(app, { sessionId: 'lang-1', text: '4*2' })).body).toMatch(/^CON Benin Public Service/);
    expect((await atHop(app, { sessionId: 'lang-2', text: '' })).body).toMatch(/^CON Benin Public Service\n1\.Track a request/);
    expect((await atHop(app, { sessionId: 'lang-3', text: '', phoneNumber: '+2290166000002' })).body).toBe(HOME);
  });

  it('answers a retransmitted hop with the same screen and does not call the service again', async () => {
    const services = await defaultServices();
    let calls = 0;
    const counted: ServiceRegistry = {
      ...services,
      'payments.quote': async (args, ctx) => {
        calls++;
        return services['payments.quote']!(args, ctx);
      },
    };
    const { app } = await createTestGateway({ services: counted });
    await atHop(app, { sessionId: 'rt', text: '' });
    await atHop(app, { sessionId: 'rt', text: '2' });
    const first = await atHop(app, { sessionId: 'rt', text: '2*PS00373-240002' });
    const again = await atHop(app, { sessionId: 'rt', text: '2*PS00373-240002' });
    expect(again.body).toBe(first.body);
    expect(calls).toBe(1);
    // A stale earlier hop arriving late changes nothing either.
    expect((await atHop(app, { sessionId: 'rt', text: '2' })).body).toBe(first.body);
    expect(calls).toBe(1);
  });

  it('keeps a session on the menu version it started on when menus are reloaded', async () => {
    const gw = await createTestGateway();
    await atHop(gw.app, { sessionId: 'v1', text: '' });
    const original = gw.menus.all()[0]!;
    const renamed = parseMenu(
      `id: service-public\ntitle: X\nserviceCodes: ["*123#"]\nstart: home\nnodes:\n  home:\n    type: message\n    text: Nouvelle version\n`,
      'new.yaml',
    );
    gw.menus.replace([renamed]);
    expect(gw.menus.atVersion(original.id, original.version)).toBe(original);
    expect((await atHop(gw.app, { sessionId: 'v1', text: '3' })).body).toMatch(/^CON Votre département/);
    expect((await atHop(gw.app, { sessionId: 'v2', text: '' })).body).toBe('END Nouvelle version');
  });

  it('a session whose menu version is gone ends politely', async () => {
    const store = new MemorySessionStore();
    const first = await createTestGateway({ store });
    await atHop(first.app, { sessionId: 'gone', text: '' });
    const other = parseMenu(`id: service-public\ntitle: X\nserviceCodes: ["*123#"]\nstart: home\nnodes:\n  home:\n    type: message\n    text: Autre\n`, 'x.yaml');
    const second = await createTestGateway({ store, menus: new MenuRegistry([other]) });
    expect((await atHop(second.app, { sessionId: 'gone', text: '1' })).body).toBe(
      "END Le service vient d'être mis à jour. Merci de recomposer le code.",
    );
  });

  it('a service that honours its abort signal is aborted at the deadline', async () => {
    const services = await defaultServices();
    let aborted = false;
    const listening: ServiceRegistry = {
      ...services,
      'payments.quote': (_args, ctx) =>
        new Promise((_resolve, reject) => {
          ctx.signal.addEventListener('abort', () => {
            aborted = true;
            reject(new Error('aborted'));
          });
        }),
    };
    const { app } = await createTestGateway({ services: listening, serviceDeadlineMs: 50 });
    await atHop(app, { sessionId: 'abort', text: '' });
    await atHop(app, { sessionId: 'abort', text: '2' });
    expect((await atHop(app, { sessionId: 'abort', text: '2*PS00373-240002' })).body).toMatch(/^END Service momentanément indisponible/);
    expect(aborted).toBe(true);
  });

  it('a service slower than the time budget gives the citizen a polite screen', async () => {
    const services = await defaultServices();
    const slow: ServiceRegistry = { ...services, 'payments.quote': () => new Promise(() => {}) };
    const { app } = await createTestGateway({ services: slow, serviceDeadlineMs: 50 });
    await atHop(app, { sessionId: 'slow', text: '' });
    await atHop(app, { sessionId: 'slow', text: '2' });
    expect((await atHop(app, { sessionId: 'slow', text: '2*PS00373-240002' })).body).toBe(
      'END Service momentanément indisponible. Merci de réessayer plus tard.',
    );
  });
});

describe('bad input never crashes nor answers 5xx', () => {
  const post = async (body: string | Uint8Array, contentType = 'application/x-www-form-urlencoded', path = '/ussd/africastalking') => {
    const { app } = await createTestGateway();
    const res = await app.request(path, { method: 'POST', headers: { 'content-type': contentType }, body });
    return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
  };

  const cases: { name: string; send: () => ReturnType<typeof post>; status: number; body: RegExp }[] = [
    { name: 'missing fields', send: () => post('text=1'), status: 400, body: /"reason":"missing field\(s\): sessionId, serviceCode, phoneNumber"/ },
    { name: 'wrong content type', send: () => post('{"sessionId":"x"}', 'application/json'), status: 415, body: /form-urlencoded/ },
    { name: 'no content type', send: () => post('sessionId=x', ''), status: 415, body: /"error":"bad_request"/ },
    { name: 'raw invalid UTF-8 bytes', send: () => post(new Uint8Array([0x73, 0x3d, 0xff, 0xfe])), status: 400, body: /not valid UTF-8/ },
    { name: 'body over the limit', send: () => post('text=' + '1'.repeat(10_000)), status: 413, body: /payload_too_large/ },
    { name: 'unknown provider', send: () => post('sessionId=x', undefined, '/ussd/nope'), status: 404, body: /unknown_provider/ },
    { name: 'unknown service code', send: () => post('sessionId=u&serviceCode=*999%23&phoneNumber=0197000001&text='), status: 200, body: /^END Ce code n'est pas reconnu/ },
    { name: 'text over 1 KiB', send: () => post(`sessionId=t&serviceCode=*123%23&phoneNumber=0197000001&text=${'9'.repeat(1100)}`), status: 200, body: /^END Saisie trop longue/ },
    { name: 'foreign number', send: () => post('sessionId=f&serviceCode=*123%23&phoneNumber=%2B33612345678&text='), status: 200, body: /^END Ce service est réservé aux numéros du Bénin/ },
    { name: 'a later hop of an unknown session', send: () => post('sessionId=never&serviceCode=*123%23&phoneNumber=0197000001&text=1*2'), status: 200, body: /^END Votre session a expiré/ },
  ];

  it.each(cases)('$name → $status', async ({ send, status, body }) => {
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.body).toMatch(body);
    expect(res.body).not.toMatch(/at .*\.ts:\d+/);
  });

  it('a chunked body (no Content-Length) over the limit is refused while it streams', async () => {
    const { app } = await createTestGateway();
    const chunk = new TextEncoder().encode('text=' + '1'.repeat(1000));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 20) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const res = await app.request('/ussd/africastalking', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(sent).toBeLessThan(20);
  });

  it('a failing session store still gives the citizen a polite screen', async () => {
    const broken = new MemorySessionStore();
    broken.load = async () => {
      throw new Error('connection refused');
    };
    const { app } = await createTestGateway({ store: broken });
    const res = await atHop(app, { sessionId: 'x', text: '' });
    expect(res).toEqual({ status: 200, body: 'END Service momentanément indisponible. Merci de réessayer plus tard.' });
  });
});
