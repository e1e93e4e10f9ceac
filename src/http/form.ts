import type { z } from 'zod';

/**
 * A form's fields as an object, the first value of a repeated field winning (as
 * `URLSearchParams.get` reads it), so a route can hand a form to its zod schema.
 */
export function formFields(form: URLSearchParams): Record<string, string> {
  const fields: Record<string, string> = {};
  form.forEach((value, name) => {
    if (!Object.hasOwn(fields, name)) fields[name] = value;
  });
  return fields;
}

/** The form read by its schema, or undefined when it does not fit. */
export function readForm<T extends z.ZodType>(schema: T, form: URLSearchParams): z.output<T> | undefined {
  const parsed = schema.safeParse(formFields(form));
  return parsed.success ? parsed.data : undefined;
}
