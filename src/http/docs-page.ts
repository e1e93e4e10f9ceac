import type { ExampleObject, JsonSchema, MediaTypeObject, OpenApiDocument, OperationObject, ParameterObject, ResponseObject } from './openapi.js';

/**
 * The reference page at `GET /docs`, rendered from the OpenAPI document alone: plain HTML and one
 * inline style sheet, no script, nothing fetched from elsewhere (the gateway may have no way out
 * to the Internet, and a page that runs nothing cannot be made to run anything).
 */
export function renderDocsPage(document: OpenApiDocument): string {
  const operations = Object.entries(document.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ path, method, op })));
  const byTag = document.tags.map((tag) => ({ tag, operations: operations.filter(({ op }) => op.tags.includes(tag.name)) }));
  const nav = byTag
    .map(({ tag, operations: ops }) => `<li><a href="#tag-${attr(tag.name)}">${text(tag.name)}</a><ul>${ops.map(({ path, method, op }) => `<li><a href="#${attr(op.operationId)}"><span class="m">${text(method.toUpperCase())}</span> ${text(path)}</a></li>`).join('')}</ul></li>`)
    .join('');
  const sections = byTag
    .map(
      ({ tag, operations: ops }) =>
        `<section id="tag-${attr(tag.name)}"><h2>${text(tag.name)}</h2><p>${text(tag.description)}</p>${ops.map(({ path, method, op }) => operationHtml(document, path, method, op)).join('')}</section>`,
    )
    .join('');
  const schemes = Object.entries(document.components.securitySchemes)
    .map(([name, scheme]) => `<dt id="scheme-${attr(name)}">${text(name)}</dt><dd>${text(schemeLine(scheme))}. ${text(scheme.description)}</dd>`)
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${text(document.info.title)} API ${text(document.info.version)}</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>${text(document.info.title)} API <small>${text(document.info.version)} · OpenAPI ${text(document.openapi)}</small></h1>
<p>${text(document.info.description)}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a>.</p></header>
<nav><ul>${nav}</ul></nav>
<main>${sections}
<section id="errors"><h2>Errors</h2>${schemaHtml(document, document.components.schemas.Error ?? {})}</section>
<section id="security"><h2>Security schemes</h2><dl>${schemes}</dl></section>
</main>
</body>
</html>
`;
}

/** `default-src 'none'` with the page's one style sheet allowed by hash, and no framing. */
export async function docsPageSecurityPolicy(html: string): Promise<string> {
  const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1] ?? '');
  const hashes = await Promise.all(
    styles.map(async (style) => {
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(style)));
      return `'sha256-${btoa(String.fromCharCode(...digest))}'`;
    }),
  );
  return ["default-src 'none'", `style-src ${hashes.join(' ')}`, "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'"].join('; ');
}

function operationHtml(document: OpenApiDocument, path: string, method: string, op: OperationObject): string {
  const security =
    op.security.length === 0
      ? '<p class="sec">Open: no credentials.</p>'
      : `<p class="sec">Credentials, any one of: ${op.security
          .map((alternative) => {
            const names = Object.keys(alternative);
            return names.length === 0 ? 'none (when configuration sets no secret)' : names.map((name) => `<a href="#scheme-${attr(name)}">${text(name)}</a>`).join(' with ');
          })
          .join('; ')}.</p>`;
  const parameters = op.parameters?.length ? `<h4>Parameters</h4>${parametersHtml(op.parameters)}` : '';
  const body = op.requestBody ? `<h4>Request body</h4>${contentHtml(document, op.requestBody.content)}` : '';
  const responses = Object.entries(op.responses).map(([status, response]) => responseHtml(document, status, response)).join('');
  const notes = [op['x-guichet-audited'] ? 'Every call is written to the audit log.' : '', op['x-guichet-served-by'] ? `Served by the route ${op['x-guichet-served-by']}.` : ''].filter(Boolean);
  return `<article id="${attr(op.operationId)}">
<h3><span class="m">${text(method.toUpperCase())}</span> <code>${text(path)}</code> <span class="sum">${text(op.summary)}</span></h3>
<p>${text(op.description)}</p>${notes.map((note) => `<p class="note">${text(note)}</p>`).join('')}
${security}${parameters}${body}<h4>Responses</h4>${responses}
</article>`;
}

function parametersHtml(parameters: readonly ParameterObject[]): string {
  const rows = parameters
    .map(
      (p) =>
        `<tr><td><code>${text(p.name)}</code></td><td>${text(p.in)}</td><td>${p.required ? 'required' : 'optional'}</td><td>${text(typeLine(p.schema))}</td><td>${text(p.description ?? '')}${p.examples ? ` <span class="ex">e.g. ${Object.values(p.examples).map((e) => `<code>${text(String(e.value))}</code>`).join(', ')}</span>` : ''}</td></tr>`,
    )
    .join('');
  return `<table><thead><tr><th>Name</th><th>In</th><th></th><th>Type</th><th>Description</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function responseHtml(document: OpenApiDocument, status: string, response: ResponseObject): string {
  const headers = response.headers
    ? `<ul>${Object.entries(response.headers).map(([name, header]) => `<li><code>${text(name)}</code>: ${text(header.description)}</li>`).join('')}</ul>`
    : '';
  return `<div class="resp"><p><b>${text(status)}</b> ${text(response.description)}</p>${headers}${response.content ? contentHtml(document, response.content) : ''}</div>`;
}

function contentHtml(document: OpenApiDocument, content: Record<string, MediaTypeObject>): string {
  return Object.entries(content)
    .map(([mediaType, media]) => {
      const examples = Object.values(media.examples ?? {})
        .map((example) => exampleHtml(mediaType, example))
        .join('');
      return `<p class="mt"><code>${text(mediaType)}</code></p>${schemaHtml(document, media.schema)}${examples}`;
    })
    .join('');
}

function exampleHtml(mediaType: string, example: ExampleObject): string {
  return `<details><summary>Example: ${text(example.summary)}</summary>${example.description ? `<p class="src">${text(example.description)}</p>` : ''}<pre>${text(wireText(mediaType, example.value))}</pre></details>`;
}

/** An example as it is on the wire: a form encoded, JSON indented, text as it is. */
function wireText(mediaType: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (mediaType === 'application/x-www-form-urlencoded' && value && typeof value === 'object') {
    return new URLSearchParams(Object.entries(value as Record<string, unknown>).map(([k, v]): [string, string] => [k, String(v)])).toString();
  }
  return JSON.stringify(value, null, 2);
}

/** A schema as a table of its fields (nested objects indented), or its type on one line. */
function schemaHtml(document: OpenApiDocument, schema: JsonSchema): string {
  const alternatives = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (Array.isArray(alternatives) && !schema.properties && alternatives.some((alternative) => resolve(document, alternative).properties)) {
    return `<p class="type">One of:</p>${alternatives.map((alternative) => schemaHtml(document, alternative)).join('<p class="type">or</p>')}`;
  }
  const rows = fieldRows(document, schema, 0);
  if (rows.length === 0) return `<p class="type">${text(typeLine(schema))}</p>`;
  return `<table class="schema"><thead><tr><th>Field</th><th></th><th>Type</th><th>Description</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function fieldRows(document: OpenApiDocument, schema: JsonSchema, depth: number): string[] {
  if (depth > 4) return [];
  const resolved = resolve(document, schema);
  const properties = (resolved.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((resolved.required ?? []) as string[]);
  return Object.entries(properties).flatMap(([name, property]) => {
    const field = resolve(document, property);
    const items = field.type === 'array' && field.items && typeof field.items === 'object' ? (field.items as JsonSchema) : undefined;
    const nested = field.properties ? field : items?.properties ? items : undefined;
    return [
      `<tr><td class="d${depth}"><code>${text(name)}</code></td><td>${required.has(name) ? 'required' : 'optional'}</td><td>${text(typeLine(field))}</td><td>${text(typeof field.description === 'string' ? field.description : '')}</td></tr>`,
      ...(nested ? fieldRows(document, nested, depth + 1) : []),
    ];
  });
}

/** `$ref` and `allOf` folded into one object schema, for display. */
function resolve(document: OpenApiDocument, schema: JsonSchema): JsonSchema {
  if (typeof schema.$ref === 'string') {
    const name = schema.$ref.replace('#/components/schemas/', '');
    const { $ref: _ref, ...rest } = schema;
    return { ...resolve(document, document.components.schemas[name] ?? {}), ...rest };
  }
  if (Array.isArray(schema.allOf)) {
    const { allOf, ...rest } = schema;
    const merged = (allOf as JsonSchema[]).map((part) => resolve(document, part)).reduce<JsonSchema>((a, b) => ({ ...a, ...b, properties: { ...(a.properties as object), ...(b.properties as object) } }), {});
    const properties = { ...(merged.properties as object) };
    // A narrowed property (the codes one answer may carry) keeps what the base says of it.
    for (const [name, narrowed] of Object.entries((rest.properties ?? {}) as Record<string, JsonSchema>)) {
      (properties as Record<string, JsonSchema>)[name] = { ...((merged.properties as Record<string, JsonSchema>)[name] ?? {}), ...narrowed };
    }
    return { ...merged, ...rest, properties };
  }
  return schema;
}

/** `string, 8 to 20 characters`, `one of: a, b`, `integer ≥ 1`, `array of object`… */
export function typeLine(schema: JsonSchema): string {
  if (Array.isArray(schema.enum)) return `one of: ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}`;
  if (schema.const !== undefined) return `exactly ${JSON.stringify(schema.const)}`;
  const alternatives = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (Array.isArray(alternatives)) return alternatives.map(typeLine).join(' | ');
  const type = Array.isArray(schema.type) ? schema.type.join(' or ') : typeof schema.type === 'string' ? schema.type : 'any';
  const facts: string[] = [];
  if (typeof schema.minLength === 'number' && typeof schema.maxLength === 'number') facts.push(`${schema.minLength} to ${schema.maxLength} characters`);
  else if (typeof schema.minLength === 'number' && schema.minLength > 0) facts.push(`at least ${schema.minLength} characters`);
  else if (typeof schema.maxLength === 'number') facts.push(`at most ${schema.maxLength} characters`);
  // A format (uuid, date-time) says in a word what its generated pattern says in a hundred characters.
  if (typeof schema.format === 'string') facts.push(schema.format);
  else if (typeof schema.pattern === 'string') facts.push(`matching ${schema.pattern}`);
  if (typeof schema.minimum === 'number' && schema.minimum > Number.MIN_SAFE_INTEGER) facts.push(`≥ ${schema.minimum}`);
  if (typeof schema.maximum === 'number' && schema.maximum < Number.MAX_SAFE_INTEGER) facts.push(`≤ ${schema.maximum}`);
  if (type === 'array' && schema.items && typeof schema.items === 'object') return `array of ${typeLine(schema.items as JsonSchema)}`;
  if (type === 'object' && schema.additionalProperties && typeof schema.additionalProperties === 'object' && !schema.properties) {
    return `object of ${typeLine(schema.additionalProperties as JsonSchema)}`;
  }
  return facts.length > 0 ? `${type}, ${facts.join(', ')}` : type;
}

function schemeLine(scheme: OpenApiDocument['components']['securitySchemes'][string]): string {
  return scheme.type === 'http' ? `HTTP ${scheme.scheme} (Authorization header)` : `${scheme.in === 'header' ? 'header' : 'query parameter'} ${scheme.name}`;
}

function text(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const attr = text;

const STYLE = `
body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1b1b1b;display:grid;grid-template-columns:19rem 1fr}
header{grid-column:1/3;padding:1rem 2rem;background:#0b4f6c;color:#fff}header a{color:#fff}
h1 small{font-weight:normal;font-size:.6em}
nav{padding:1rem;border-right:1px solid #ddd;font-size:.9em}nav ul{list-style:none;padding-left:.6rem}nav a{color:#0b4f6c;text-decoration:none}
main{padding:1rem 2rem;max-width:62rem}
article{border-top:1px solid #ddd;padding:.5rem 0 1rem}
.m{display:inline-block;min-width:3.2rem;font:bold .8em monospace;color:#fff;background:#20639b;padding:.1rem .3rem;border-radius:3px;text-align:center}
.sum{font-weight:normal}
table{border-collapse:collapse;width:100%;font-size:.9em;margin:.3rem 0}td,th{border:1px solid #e2e2e2;padding:.2rem .4rem;text-align:left;vertical-align:top}
.d1{padding-left:1.4rem}.d2{padding-left:2.4rem}.d3{padding-left:3.4rem}.d4{padding-left:4.4rem}
pre{background:#f4f4f4;padding:.5rem;overflow:auto;font-size:.85em;white-space:pre-wrap;word-break:break-all}
.note,.src,.sec{color:#555;font-size:.9em}.resp{margin-left:.5rem}.mt{margin:.2rem 0}
`;
