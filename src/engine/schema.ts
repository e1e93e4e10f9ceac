import { z } from 'zod';

/**
 * The menu format agencies write in YAML (`menus/*.yaml`). Validated at load, so a mistake
 * stops start-up with the file, the path inside it and the reason instead of reaching a citizen.
 */

import { LANGUAGES, REVIEW_STATES } from './languages.js';

export { LANGUAGES } from './languages.js';
export const Language = z.enum(LANGUAGES);
export type Language = z.infer<typeof Language>;

/**
 * Per language, whether its text here was checked by a native speaker: `review: {fon: draft}`.
 * A translation without a state counts as reviewed (the French and English texts written by the
 * team); `guichet menus import` always writes the state it read.
 */
const ReviewMarks = z.partialRecord(Language, z.enum(REVIEW_STATES));

/** Inputs the engine keeps for itself on every screen: back, home, next page. */
export const RESERVED_INPUTS = ['0', '00', '98'] as const;

const NodeId = z
  .string()
  .regex(/^[a-z][a-z0-9_.-]*$/, 'node ids are lower-case letters, digits, ".", "-" or "_"');

const VarName = z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]*$/, 'variable names are letters, digits and "_"');

/** A text in several languages, or one text used for all of them (a proper name, a number). */
export const LocalizedText = z.union([
  z.string().min(1),
  z.object({ fr: z.string().min(1) }).and(z.partialRecord(Language, z.string().min(1))).and(z.object({ review: ReviewMarks.optional() })),
]);
export type LocalizedText = z.infer<typeof LocalizedText>;

/** A label may be empty in some language: a status that needs no hint shows nothing. */
const LocalizedLabel = z.union([
  z.string(),
  z.object({ fr: z.string() }).and(z.partialRecord(Language, z.string())).and(z.object({ review: ReviewMarks.optional() })),
]);

const ChoiceOption = z.strictObject({
  /** What the citizen types for this option; by default its position (1, 2, …). */
  key: z.string().regex(/^\d{1,2}$/, 'an option key is one or two digits').optional(),
  label: LocalizedText,
  next: NodeId,
  /** Choosing this option switches the citizen's language (remembered per phone number). */
  setLanguage: Language.optional(),
  /** Variables set when this option is chosen, e.g. `{department: littoral}`. */
  set: z.record(VarName, z.string()).optional(),
});

const ChoiceNode = z.strictObject({
  type: z.literal('choice'),
  text: LocalizedText,
  options: z.array(ChoiceOption).min(1).max(40),
});

const InputValidation = z.strictObject({
  pattern: z.string().optional(),
  minLength: z.number().int().min(1).optional(),
  maxLength: z.number().int().min(1).max(160).optional(),
  digits: z.boolean().optional(),
});

const InputNode = z.strictObject({
  type: z.literal('input'),
  text: LocalizedText,
  /** Variable that receives the (trimmed, optionally upper-cased) input. */
  store: VarName,
  validate: InputValidation.optional(),
  uppercase: z.boolean().optional(),
  /** Shown above the question again when the input does not validate. */
  invalid: LocalizedText.optional(),
  next: NodeId,
});

const ActionNode = z.strictObject({
  type: z.literal('action'),
  /** A service the menu declares in `services`, e.g. `portal.requestStatus`. */
  service: z.string().min(1),
  /** Arguments as templates over the collected variables, e.g. `"{{requestNumber}}"`. */
  args: z.record(z.string(), z.string()).default({}),
  /** Next node per outcome the service returns (`ok`, `not_found`, …). */
  on: z.record(z.string(), NodeId),
  /** Next node for an outcome not listed in `on` (errors, time-outs). */
  otherwise: NodeId,
});

const MessageNode = z.strictObject({
  type: z.literal('message'),
  text: LocalizedText,
  /** Without `next` the screen closes the session (END); with it, any input continues. */
  next: NodeId.optional(),
  /**
   * On an END screen: a session that ends here gets the satisfaction survey (at most one per
   * number per week, whichever way), counted under the menu's `agency` and this node's id as the
   * service. `sms` (or `true`): one SMS once the session closed; `ussd`: the screen asks for the
   * 1–5 rating instead of closing, then for a word, in the same session.
   */
  survey: z.union([z.boolean(), z.enum(['sms', 'ussd'])]).optional(),
});

const GotoNode = z.strictObject({ type: z.literal('goto'), next: NodeId });

export const MenuNode = z.discriminatedUnion('type', [ChoiceNode, InputNode, ActionNode, MessageNode, GotoNode]);
export type MenuNode = z.infer<typeof MenuNode>;
export type ChoiceNode = z.infer<typeof ChoiceNode>;
export type InputNode = z.infer<typeof InputNode>;
export type ActionNode = z.infer<typeof ActionNode>;
export type MessageNode = z.infer<typeof MessageNode>;

/** How a message node's `survey` asks: none, by SMS after the session, or on the session's own screen. */
export function surveyChannelOf(node: MenuNode | undefined): 'sms' | 'ussd' | null {
  if (node?.type !== 'message' || node.survey === undefined || node.survey === false) return null;
  return node.survey === 'ussd' ? 'ussd' : 'sms';
}

const ServiceCode = z.string().regex(/^\*\d+(\*\d+)*#$/, 'a service code looks like *123# or *123*2#');

export const MenuFile = z
  .strictObject({
    $schema: z.string().optional(),
    id: z.string().regex(/^[a-z][a-z0-9-]*$/),
    title: LocalizedText,
    serviceCodes: z.array(ServiceCode).min(1),
    defaultLanguage: Language.default('fr'),
    /** The agency the menu's surveys are counted under (its notification API name); default: the menu's id. */
    agency: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/).optional(),
    /** Services this menu may call; the gateway refuses to start when one does not exist. */
    services: z.array(z.string().min(1)).default([]),
    start: NodeId,
    /** Value → text tables for template filters: `{{status|status}}` looks up `labels.status`. */
    labels: z.record(VarName, z.record(z.string(), LocalizedLabel)).default({}),
    /** Example values of variables, used by `guichet menus lint` to size screens. */
    samples: z.record(VarName, z.string()).default({}),
    nodes: z.record(NodeId, MenuNode),
  })
  .superRefine((menu, ctx) => {
    const exists = (id: string) => Object.hasOwn(menu.nodes, id);
    const missing = (path: (string | number)[], id: string) =>
      ctx.addIssue({ code: 'custom', path, message: `no node named "${id}"` });
    if (!exists(menu.start)) missing(['start'], menu.start);
    for (const [id, node] of Object.entries(menu.nodes)) {
      const at = ['nodes', id];
      if ('next' in node && node.next !== undefined && !exists(node.next)) missing([...at, 'next'], node.next);
      if (node.type === 'choice') {
        node.options.forEach((option, i) => {
          if (!exists(option.next)) missing([...at, 'options', i, 'next'], option.next);
        });
      }
      if (node.type === 'action') {
        if (!menu.services.includes(node.service)) {
          ctx.addIssue({
            code: 'custom',
            path: [...at, 'service'],
            message: `service "${node.service}" is not declared in this menu's services`,
          });
        }
        for (const [outcome, target] of Object.entries(node.on)) {
          if (!exists(target)) missing([...at, 'on', outcome], target);
        }
        if (!exists(node.otherwise)) missing([...at, 'otherwise'], node.otherwise);
      }
      if (node.type === 'message' && surveyChannelOf(node) !== null) {
        // The survey follows a completed session: a screen the citizen moves on from completes nothing.
        if (node.next !== undefined) ctx.addIssue({ code: 'custom', path: [...at, 'survey'], message: 'survey: only on an END screen (a message without next)' });
        if (!/^[A-Za-z0-9._-]{1,64}$/.test(id)) ctx.addIssue({ code: 'custom', path: [...at, 'survey'], message: 'survey: the node id names the service in the results: letters, digits, . _ - only, at most 64' });
      }
      if (node.type === 'input' && node.validate?.pattern !== undefined) {
        try {
          new RegExp(node.validate.pattern);
        } catch {
          ctx.addIssue({ code: 'custom', path: [...at, 'validate', 'pattern'], message: 'not a valid regular expression' });
        }
      }
    }
  });

export type MenuFile = z.infer<typeof MenuFile>;

/** A validated menu as the engine uses it, stamped with the version sessions are pinned to. */
export interface Menu extends MenuFile {
  /** Content hash of the source file: a session keeps running on the version it started on. */
  version: string;
  /** Where it came from, for error messages. */
  source: string;
}
