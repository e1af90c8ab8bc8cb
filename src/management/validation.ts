// Turns zod failures into the API's 422 `validation_failed` with a message naming each field.
import type { z } from 'zod';
import { MawjlyError } from '../protocol/errors.js';

export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : 'body'}: ${i.message}`).join('; ');
}

/** Parses `value` with `schema` or throws 422 `validation_failed`. */
export function validate<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw new MawjlyError('validation_failed', describeIssues(result.error.issues));
  return result.data;
}
