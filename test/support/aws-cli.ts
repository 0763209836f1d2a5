/** The real AWS CLI (`aws` on PATH) against the local endpoints, for the tests that run it. */
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';

/** Fixed local credentials and region, and no pager: nothing reaches AWS. */
export const AWS_ENV = {
  ...process.env,
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_PAGER: '',
};

/**
 * Why the AWS CLI tests skip (printed once), or false when the `aws` on PATH has
 * `stepfunctions redrive-execution` (awscli 1.45+ or 2.14+; Debian's 2.9 lacks it).
 */
export function awsCliSkipReason(): string | false {
  const probe = spawnSync('aws', ['stepfunctions', 'redrive-execution', 'help'], {
    env: AWS_ENV,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (probe.status === 0) return false;
  const reason = 'no `aws` on PATH with `stepfunctions redrive-execution` (awscli 1.45+ or 2.14+)';
  console.log(`skipped: ${reason}`);
  return reason;
}

const run = promisify(execFile);

/** `aws <args> --endpoint-url <endpoint> --output json`: resolves with stdout, rejects with stderr. */
export async function awsOutput(endpoint: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('aws', [...args, '--endpoint-url', endpoint, '--output', 'json'], {
    env: AWS_ENV,
    timeout: 60_000,
  });
  return stdout;
}
