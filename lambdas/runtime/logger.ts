import { Logger } from '@aws-lambda-powertools/logger';
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
 * A Powertools Logger (JSON lines on stdout) whose every field passes through the PII masker.
 * `service` is the downstream service the step calls: `workflow` and `step` name the Lambda.
 */
export function createStepLogger(opts: StepLoggerOptions): Logger {
  return new Logger({
    serviceName: opts.service,
    logLevel: (opts.logLevel ?? DEFAULTS.logLevel) as 'INFO',
    jsonReplacerFn: piiReplacer,
  });
}
