import { Hono, type Context } from 'hono';
import { DEMO_AGENTS, type DemoAgent } from '../careers/demo.js';
import type { CareerAct, PensionStatus } from '../careers/port.js';
import type { DemoRequest } from '../portal/demo.js';
import type { PaymentNotice } from '../portal/port.js';

/**
 * A stand-in for a security server and the portal behind it (and the career agencies: the ministry's
 * agent records, the pension fund's files, `src/careers/`), for tests and the embedded demo. It
 * speaks the same protocol as the real one: both header dialects (X-Road r1 paths, UXP headers),
 * the `{type, message, detail}` error format with `X-Road-Error`, `X-Road-Id` echoed; latency and
 * failures can be injected per service. Runtime-agnostic (a Hono app); tests serve it on loopback.
 */
export interface FakeSecurityServerControl {
  /** Added before answering, per service name. */
  latencyMs: Map<string, number>;
  /** Answer the next N calls of a service with this fault. */
  faults: Map<string, { status: number; type: string; remaining: number }>;
  /** Services that answer 200 with a body of the wrong shape (a provider changing its format). */
  malformed: Set<string>;
  /** Calls received, for assertions: service, dialect, client, message id. */
  calls: { service: string; dialect: 'xroad-r1' | 'uxp'; client: string; messageId: string; userId?: string; issue?: string }[];
  payments: Map<string, PaymentNotice>;
}

const STATE: Record<DemoRequest['status'], string> = {
  submitted: 'SUBMITTED',
  under_review: 'UNDER_REVIEW',
  info_requested: 'INFO_REQUESTED',
  ready: 'READY',
  rejected: 'REJECTED',
};

const CATALOGUE: Record<string, { name: string; fee: number }> = {
  PS00373: { name: 'Extrait de casier judiciaire', fee: 1900 },
  PS00200: { name: 'Passeport ordinaire', fee: 30000 },
  PS00150: { name: 'Acte de naissance sécurisé', fee: 500 },
};

/**
 * Guichet's names → the agencies' words (the contract in `src/careers/xroad.ts`), written out here
 * rather than derived from the adapter's maps, so a mistake in those maps fails the conformance suite.
 */
const WIRE_ACT: Record<CareerAct, string> = {
  recruitment: 'RECRUTEMENT',
  tenure: 'TITULARISATION',
  promotion: 'PROMOTION',
  step_advance: 'AVANCEMENT_ECHELON',
  reclassification: 'RECLASSEMENT',
  transfer: 'MUTATION',
  retirement: 'ADMISSION_RETRAITE',
};
const WIRE_PENSION: Record<PensionStatus, string> = {
  not_started: 'NON_DEPOSE',
  submitted: 'DEPOSE',
  under_review: 'EN_INSTRUCTION',
  info_requested: 'PIECES_MANQUANTES',
  granted: 'LIQUIDE',
  in_payment: 'EN_PAIEMENT',
};

export function createFakeSecurityServer(requests: readonly DemoRequest[], agents: readonly DemoAgent[] = DEMO_AGENTS): { app: Hono; control: FakeSecurityServerControl } {
  const control: FakeSecurityServerControl = { latencyMs: new Map(), faults: new Map(), malformed: new Set(), calls: [], payments: new Map() };
  const byNumber = new Map(requests.map((r) => [r.requestNumber, { ...r }]));
  const byMatricule = new Map(agents.map((a) => [a.matricule, a]));
  const matriculeOf = async (c: Context) => {
    const body = (await c.req.json().catch(() => ({}))) as { matricule?: unknown };
    return typeof body.matricule === 'string' ? byMatricule.get(body.matricule) : undefined;
  };
  const app = new Hono();

  // Each dialect reports the platform's faults its own way: X-Road r1 with `X-Road-Error` and a
  // `{type, message, detail}` body; UXP with `uxp-faultcode` / `uxp-faultstring` headers.
  const fault = (c: Context, dialect: 'xroad-r1' | 'uxp', status: number, type: string, message: string) => {
    if (dialect === 'uxp') {
      c.header('uxp-faultcode', type);
      c.header('uxp-faultstring', message);
      return c.json({ type, message }, status as 400);
    }
    c.header('x-road-error', type);
    return c.json({ type, message, detail: crypto.randomUUID() }, status as 400);
  };

  async function answer(c: Context, dialect: 'xroad-r1' | 'uxp', service: string, client: string, path: string): Promise<Response> {
    const messageId = c.req.header('x-road-id') ?? crypto.randomUUID();
    const userId = c.req.header(dialect === 'uxp' ? 'uxp-userid' : 'x-road-userid');
    const issue = c.req.header(dialect === 'uxp' ? 'uxp-issue' : 'x-road-issue');
    control.calls.push({ service, dialect, client, messageId, ...(userId ? { userId } : {}), ...(issue ? { issue } : {}) });
    if (dialect === 'uxp') c.header('uxp-transaction-id', `fake-uxp-${messageId}`);
    else {
      c.header('x-road-id', messageId);
      c.header('x-road-request-hash', 'fake');
    }
    const delay = control.latencyMs.get(service);
    if (delay) await new Promise((r) => setTimeout(r, delay));
    const injected = control.faults.get(service);
    if (injected && injected.remaining > 0) {
      injected.remaining--;
      return fault(c, dialect, injected.status, injected.type, `injected fault for ${service}`);
    }
    if (control.malformed.has(service)) return c.json({ status: 'OK', data: { etat: 'PRET' } });
    if (!/^[A-Z]+\/[A-Z]+\/[A-Za-z0-9-]+\/[A-Za-z0-9-]+$/.test(client)) {
      return fault(c, dialect, 400, 'Client.InvalidClientIdentifier', 'client identifier must be INSTANCE/CLASS/MEMBER/SUBSYSTEM');
    }
    let match: RegExpExecArray | null;
    if ((match = /^\/requests\/([^/]+)$/.exec(path)) && c.req.method === 'GET') {
      const r = byNumber.get(decodeURIComponent(match[1]!));
      if (!r) return c.json({ error: 'not found' }, 404);
      return c.json({ requestNumber: r.requestNumber, serviceCode: r.serviceCode, state: STATE[r.status], lastUpdate: `${r.updatedAt}T09:30:00Z`, ...(r.collectAt ? { collectAt: r.collectAt } : {}), holder: { msisdn: r.holderMsisdn } });
    }
    if ((match = /^\/requests\/([^/]+)\/fee$/.exec(path)) && c.req.method === 'GET') {
      const r = byNumber.get(decodeURIComponent(match[1]!));
      if (!r) return c.json({ error: 'not found' }, 404);
      return c.json({ amount: r.amountXof, currency: 'XOF', paid: r.paid });
    }
    if ((match = /^\/services\/(PS\d{5})$/.exec(path)) && c.req.method === 'GET') {
      const entry = CATALOGUE[match[1]!];
      return entry ? c.json({ code: match[1], ...entry }) : c.json({ error: 'not found' }, 404);
    }
    if (path === '/verify' && c.req.method === 'POST') {
      const body = (await c.req.json().catch(() => ({}))) as { requestNumber?: string; npi?: string; birthDate?: string };
      const r = body.requestNumber ? byNumber.get(body.requestNumber) : undefined;
      return c.json({ match: r !== undefined && r.holderNpi === body.npi && r.holderBirthDate === body.birthDate });
    }
    if (path === '/payments' && c.req.method === 'POST') {
      const key = c.req.header('idempotency-key');
      if (!key) return fault(c, dialect, 400, 'Server.ServerProxy.ServiceFailed.MissingIdempotencyKey', 'Idempotency-Key required');
      const notice = (await c.req.json()) as PaymentNotice;
      const request = byNumber.get(notice.requestNumber);
      if (!request) return c.json({ error: 'no such request' }, 404);
      if (!control.payments.has(key)) {
        control.payments.set(key, notice);
        request.paid = true;
      }
      return c.json({ acknowledged: true, paymentId: key }, 200);
    }
    // The ministry's (MTFP) and the pension fund's (FNRB) services: the matricule in the body, never the path.
    if (path === '/agents/verify' && c.req.method === 'POST') {
      const body = (await c.req.json().catch(() => ({}))) as { matricule?: string; firstPostingDate?: string };
      const agent = body.matricule ? byMatricule.get(body.matricule) : undefined;
      const iso = agent ? `${agent.firstPosting.slice(4)}-${agent.firstPosting.slice(2, 4)}-${agent.firstPosting.slice(0, 2)}` : undefined;
      return c.json({ match: iso !== undefined && iso === body.firstPostingDate });
    }
    if (path === '/agents/career' && c.req.method === 'POST') {
      const agent = await matriculeOf(c);
      if (!agent) return c.json({ error: 'matricule inconnu' }, 404);
      const { career } = agent;
      return c.json({
        matricule: agent.matricule,
        situation: career.standing === 'retired' ? 'RETRAITE' : 'EN_ACTIVITE',
        dernierActe: { type: WIRE_ACT[career.lastAct.act], date: career.lastAct.date },
        prochainAvancement: career.nextStep,
        dateRetraite: career.retirementDate,
      });
    }
    if (path === '/pensions/file' && c.req.method === 'POST') {
      const agent = await matriculeOf(c);
      if (!agent?.pension) return c.json({ error: 'aucun dossier' }, 404);
      return c.json({ statut: WIRE_PENSION[agent.pension.status], dateMiseAJour: agent.pension.updatedAt });
    }
    return fault(c, dialect, 404, 'Server.ServerProxy.UnknownService', `no operation ${c.req.method} ${path} on ${service}`);
  }

  // X-Road r1: /r1/{INSTANCE}/{CLASS}/{MEMBER}/{SUBSYSTEM}/{SERVICE}[/path]
  app.all('/r1/:instance/:class/:member/:subsystem/:service/*', (c) => {
    const prefix = `/r1/${c.req.param('instance')}/${c.req.param('class')}/${c.req.param('member')}/${c.req.param('subsystem')}/${c.req.param('service')}`;
    return answer(c, 'xroad-r1', c.req.param('service'), c.req.header('x-road-client') ?? '', c.req.path.slice(prefix.length));
  });
  // UXP: `/restapi` + the service's own path, the service named by a header.
  app.all('/restapi/*', (c) => {
    const service = c.req.header('uxp-service');
    if (!service) return fault(c, 'uxp', 400, 'Client.InvalidRequest', 'missing Uxp-Service');
    const parts = service.split('/');
    return answer(c, 'uxp', parts[4] ?? '', c.req.header('uxp-client') ?? '', c.req.path.slice('/restapi'.length));
  });
  app.all('*', (c) => fault(c, 'xroad-r1', 404, 'Client.InvalidRequest', `no /r1/ or /restapi path: ${c.req.path}`));
  return { app, control };
}
