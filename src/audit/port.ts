/**
 * The audit log: one entry per call of the integrators' API (notifications, the payment report)
 * and per admin action, saying who did what to what and how it ended. Kept apart from the
 * gateway's logs so it can be kept longer and read by people who must not see those.
 *
 * An entry never holds a phone number, an NPI or a message text: it names the call by its route
 * pattern (never the raw URL, which may carry anything) and its target by an id of ours.
 */
export interface AuditEntry {
  /** When the answer was made, ISO 8601 in UTC. */
  time: string;
  /** The agency (or finance team) whose credentials passed, `admin` for the dashboard, `unknown` when refused. */
  agency: string;
  /** Method and route pattern: `GET /v1/notifications/:id`. */
  action: string;
  /** What the call was about, when it names something of ours: a notification id, a report day. */
  target?: string;
  /** The HTTP status answered. */
  outcome: number;
  /** The id the answer carried in `x-request-id`, for the agency to quote. */
  requestId: string;
}

/** Who made a call whose credentials did not pass (or that showed none). */
export const UNKNOWN_AGENCY = 'unknown';

/** Who acts through the operator's dashboard. */
export const ADMIN_AGENCY = 'admin';

export interface AuditLog {
  /** Resolves once the entry is written where it is kept (a failure rejects: the caller says so in its logs). */
  record(entry: AuditEntry): Promise<void>;
  /** Writes what is pending and lets go of the file or stream. */
  close(): Promise<void>;
}

/** One entry as one line of JSON, its fields always in the same order. */
export function auditLine(entry: AuditEntry): string {
  const ordered: AuditEntry = {
    time: entry.time,
    agency: entry.agency,
    action: entry.action,
    ...(entry.target !== undefined ? { target: entry.target } : {}),
    outcome: entry.outcome,
    requestId: entry.requestId,
  };
  return `${JSON.stringify(ordered)}\n`;
}
