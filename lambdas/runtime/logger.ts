import { Logger, type LogItem } from '@aws-lambda-powertools/logger';
import type { ConstructorOptions } from '@aws-lambda-powertools/logger/types';
import { DEFAULTS } from '../contracts.ts';
import { piiReplacer } from './pii.ts';

/** Options for {@link createStepLogger}. */
export interface StepLoggerOptions {
  /** Downstream service key; becomes the `service` field of every line. */
  readonly service: string;
  /** The configuration's `POWERTOOLS_LOG_LEVEL`. @default 'INFO' */
  readonly logLevel?: string;
}

/**
 * The longest log line (bytes of UTF-8) the step runtime writes. A hostile body with thousands of
 * keys must not become a 400 KB line: CloudWatch splits events over 256 KB, and the bill is per byte.
 */
export const MAX_LOG_LINE_BYTES = 16_384;

/** A top-level field this small survives truncation as it is (level, message, correlation_id ...). */
const KEPT_FIELD_BYTES = 256;

/**
 * A line of at most `maxBytes` from `attributes`, whose full serialization `line` is too long: the
 * small top-level fields as they are, a `log_truncated` marker with the sizes, and the start of the
 * original line as `preview` (already masked: it is the replacer's output).
 */
export function truncatedAttributes(
  attributes: Readonly<Record<string, unknown>>,
  line: string,
  serialize: (value: unknown) => string,
  maxBytes: number = MAX_LOG_LINE_BYTES,
): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  let keptBytes = 0;
  const omitted: string[] = [];
  for (const [key, value] of Object.entries(attributes)) {
    const bytes = Buffer.byteLength(serialize({ [key]: value }));
    if (bytes <= KEPT_FIELD_BYTES && keptBytes + bytes <= maxBytes / 4) {
      kept[key] = value;
      keptBytes += bytes;
    } else {
      omitted.push(key);
    }
  }
  const originalBytes = Buffer.byteLength(line);
  // The preview is JSON text, escaped once more when the line is written: at most twice as long.
  const previewBytes = Math.max(0, Math.floor((maxBytes - keptBytes - 1024) / 2));
  return {
    ...kept,
    log_truncated: {
      original_bytes: originalBytes,
      limit_bytes: maxBytes,
      omitted_fields: omitted.length,
    },
    preview: Buffer.from(line).subarray(0, previewBytes).toString('utf8'),
  };
}

/**
 * Powertools' Logger with every line capped at {@link MAX_LOG_LINE_BYTES}: a longer one is
 * written as {@link truncatedAttributes}. Children (`createChild`) are capped too.
 */
class CappedLogger extends Logger {
  protected override createLogger(options?: ConstructorOptions): Logger {
    return new CappedLogger(options);
  }

  protected override printLog(logLevel: number, log: LogItem): void {
    log.prepareForPrint();
    const attributes = log.getAttributes();
    const replacer = this.getJsonReplacer() as (key: string, value: unknown) => unknown;
    const line = JSON.stringify(attributes, replacer);
    if (line.length * 3 > MAX_LOG_LINE_BYTES && Buffer.byteLength(line) > MAX_LOG_LINE_BYTES) {
      const serialize = (value: unknown) =>
        JSON.stringify(value, this.getJsonReplacer() as (key: string, value: unknown) => unknown);
      log.setAttributes(truncatedAttributes(attributes, line, serialize) as typeof attributes);
    }
    super.printLog(logLevel, log);
  }
}

/**
 * A Powertools Logger (JSON lines on stdout) whose every field, name and value, passes through the
 * PII masker, and whose every line is capped at {@link MAX_LOG_LINE_BYTES} with a truncation
 * marker. `service` is the downstream service the step calls: `workflow` and `step` name the Lambda.
 */
export function createStepLogger(opts: StepLoggerOptions): Logger {
  return new CappedLogger({
    serviceName: opts.service,
    logLevel: (opts.logLevel ?? DEFAULTS.logLevel) as 'INFO',
    jsonReplacerFn: piiReplacer,
  });
}
