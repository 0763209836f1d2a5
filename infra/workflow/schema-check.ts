/**
 * The workflow's `schema` is the JSON Schema the start endpoint validates requests with. Checking it
 * here turns a schema mistake into a `file:line:` diagnostic at synth time instead of a failing
 * Lambda cold start (or, for an unknown `format`, a check silently not made).
 */
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { type Diagnostic, didYouMean } from './diagnostics.ts';
import type { PathSegment, YamlSource } from './yaml-source.ts';

/** The same options as the start endpoint's validator (lambdas/api/schema-validator.ts). */
function newAjv(): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    useDefaults: true,
    strict: false,
    coerceTypes: false,
    logger: false,
  });
  addFormats.default(ajv);
  return ajv;
}

/** Diagnostics for an invalid JSON Schema under the workflow's `schema` field. */
export function checkInputSchema(schema: unknown, source: YamlSource, file: string): Diagnostic[] {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return [];
  const ajv = newAjv();
  const at = (pointer: string, message: string): Diagnostic => ({
    file,
    line: source.lineOf(['schema', ...pointerPath(pointer)]),
    message,
  });
  if (!ajv.validateSchema(schema)) {
    const seen = new Set<string>();
    return (ajv.errors ?? []).flatMap((error) => {
      // anyOf/type alternatives repeat one problem several times: report each location once.
      if (seen.has(error.instancePath)) return [];
      seen.add(error.instancePath);
      const where = `schema${error.instancePath.replaceAll('/', '.')}`;
      if (error.instancePath.endsWith('/type')) {
        const value = valueAt(schema, pointerPath(error.instancePath));
        const got =
          typeof value === 'string' ? `'${value}'${didYouMean(value, JSON_TYPES)}` : JSON.stringify(value);
        return [
          at(
            error.instancePath,
            `${where} must be one of ${JSON_TYPES.join(', ')} (or a list of them), got ${got}`,
          ),
        ];
      }
      const message = (error.message ?? 'is invalid').replace(/^must be array$/, 'must be a list');
      return [at(error.instancePath, `${where} is not valid JSON Schema: it ${message}`)];
    });
  }
  const formats = Object.keys(ajv.formats);
  const unknownFormats = findFormats(schema, '').filter(({ format }) => !formats.includes(format));
  if (unknownFormats.length > 0) {
    return unknownFormats.map(({ pointer, format }) =>
      at(
        `${pointer}/format`,
        `schema${pointer.replaceAll('/', '.')}.format: unknown format '${format}'${didYouMean(format, formats)}`,
      ),
    );
  }
  try {
    ajv.compile(schema);
  } catch (error) {
    return [at('', `schema is not a usable JSON Schema: ${(error as Error).message}`)];
  }
  return [];
}

const JSON_TYPES = ['string', 'number', 'integer', 'boolean', 'object', 'array', 'null'];

function valueAt(data: unknown, path: PathSegment[]): unknown {
  let current = data;
  for (const p of path) current = (current as Record<string | number, unknown> | undefined)?.[p];
  return current;
}

function pointerPath(pointer: string): PathSegment[] {
  return pointer
    .split('/')
    .slice(1)
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p.replaceAll('~1', '/').replaceAll('~0', '~')));
}

/** Every `format` keyword (string valued) with its JSON pointer, skipping `properties` names. */
function findFormats(node: unknown, pointer: string): { pointer: string; format: string }[] {
  if (typeof node !== 'object' || node === null) return [];
  const found: { pointer: string; format: string }[] = [];
  const record = node as Record<string, unknown>;
  if (typeof record.format === 'string' && !Array.isArray(node))
    found.push({ pointer, format: record.format });
  for (const [key, value] of Object.entries(record)) {
    if (key === 'format' && typeof value === 'string') continue;
    found.push(...findFormats(value, `${pointer}/${key}`));
  }
  return found;
}
