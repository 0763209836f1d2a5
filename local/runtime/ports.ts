/** Checking fixed ports before the slow part of a start (synthesis) runs. */
import { createServer } from 'node:net';

/** A fixed port the runtime will listen on, named by the flag that sets it. */
export interface PortClaim {
  /** What listens there, e.g. `local API`. */
  readonly name: string;
  readonly port: number;
  /** The flag that changes it, e.g. `--port`. */
  readonly flag?: string;
}

/** A port that is taken, reported before anything starts. */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  readonly claims: readonly PortClaim[];

  constructor(claims: readonly PortClaim[], host: string) {
    super(
      claims
        .map(
          (claim) =>
            `port ${claim.port} (${claim.name}) on ${host} is in use${claim.flag ? `: pass ${claim.flag} N for another port (0 = any free port)` : ''}`,
        )
        .join('\n'),
    );
    this.claims = claims;
  }
}

function isFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/**
 * Fails with every taken port at once (0 means "any free port" and is never checked). Another
 * process may still take a port between this check and the real listen; that rare case is
 * reported by the listen itself.
 *
 * @throws PortInUseError naming each port, what needs it and the flag to change it
 */
export async function assertPortsFree(claims: readonly PortClaim[], host: string): Promise<void> {
  const fixed = claims.filter((claim) => claim.port > 0);
  const duplicate = fixed.find((claim, i) => fixed.findIndex((other) => other.port === claim.port) !== i);
  if (duplicate) {
    const first = fixed.find((claim) => claim.port === duplicate.port)!;
    throw new Error(`${first.name} and ${duplicate.name} are both given port ${duplicate.port}`);
  }
  const taken: PortClaim[] = [];
  for (const claim of fixed) if (!(await isFree(claim.port, host))) taken.push(claim);
  if (taken.length > 0) throw new PortInUseError(taken, host);
}
