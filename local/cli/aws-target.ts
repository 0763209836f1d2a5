import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { SignatureV4 } from '@smithy/signature-v4';
import type { RequestSigner } from './api-client.ts';

/** What the CLI needs from a deployed stack's outputs. */
export interface StackTarget {
  readonly apiUrl: string;
  /** The workflow's resource URL (`ExecutionsEndpoint`): POST starts, GET /{id} reports. */
  readonly executionsEndpoint: string;
  readonly stateMachineArn: string | undefined;
  readonly tableName: string | undefined;
  readonly sign: RequestSigner;
}

/**
 * Reads `ApiUrl`, `ExecutionsEndpoint`, `StateMachineArn` and `TableName` from the stack's outputs and returns a signer
 * for the API, which uses IAM authorization by default. Credentials come from the SDK's default
 * chain (environment, profile, SSO, instance role).
 */
export async function resolveStackTarget(stackName: string, region: string): Promise<StackTarget> {
  const cfn = new CloudFormationClient({ region });
  let outputs: Record<string, string>;
  try {
    const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    outputs = Object.fromEntries(
      (Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']),
    );
  } catch (error) {
    throw new Error(`Cannot read stack '${stackName}' in ${region}: ${(error as Error).message}`);
  }
  const apiUrl = outputs.ApiUrl;
  const executionsEndpoint = outputs.ExecutionsEndpoint;
  if (!apiUrl || !executionsEndpoint) {
    throw new Error(
      `Stack '${stackName}' has no ${apiUrl ? 'ExecutionsEndpoint' : 'ApiUrl'} output (outputs: ${Object.keys(outputs).join(', ') || 'none'}); is it a Stepflow workflow stack?`,
    );
  }
  return {
    apiUrl: apiUrl.replace(/\/+$/, ''),
    executionsEndpoint: executionsEndpoint.replace(/\/+$/, ''),
    stateMachineArn: outputs.StateMachineArn,
    tableName: outputs.TableName,
    sign: createSigV4Signer({ region, credentials: cfn.config.credentials }),
  };
}

/** Options for {@link createSigV4Signer}. */
export interface SigV4SignerOptions {
  readonly region: string;
  readonly credentials: ConstructorParameters<typeof SignatureV4>[0]['credentials'];
  /** @default 'execute-api' */
  readonly service?: string;
  /** Add and sign `x-amz-content-sha256` (API Gateway accepts either). @default true */
  readonly applyChecksum?: boolean;
  /** Fixed signing time, for reproducible signatures in tests. @default now */
  readonly signingDate?: Date;
}

/** A {@link RequestSigner} producing AWS Signature Version 4 headers. */
export function createSigV4Signer(opts: SigV4SignerOptions): RequestSigner {
  const signer = new SignatureV4({
    service: opts.service ?? 'execute-api',
    region: opts.region,
    credentials: opts.credentials,
    sha256: NodeSha256,
    applyChecksum: opts.applyChecksum ?? true,
  });
  return async ({ method, url, headers, body }) => {
    const query: Record<string, string> = {};
    for (const [key, value] of url.searchParams) query[key] = value;
    const signed = await signer.sign(
      {
        method,
        protocol: url.protocol,
        hostname: url.hostname,
        ...(url.port ? { port: Number(url.port) } : {}),
        path: url.pathname,
        query,
        headers: { ...headers, host: url.host },
        body,
      },
      opts.signingDate ? { signingDate: opts.signingDate } : {},
    );
    return signed.headers;
  };
}

type SourceData = string | ArrayBuffer | ArrayBufferView;

/** SHA-256 / HMAC-SHA-256 for the signer, on node:crypto (no extra package needed). */
class NodeSha256 {
  readonly #secret: SourceData | undefined;
  #hash: Hash | Hmac;

  constructor(secret?: SourceData) {
    this.#secret = secret;
    this.#hash = this.#create();
  }

  update(data: SourceData): void {
    this.#hash.update(toBuffer(data));
  }

  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }

  reset(): void {
    this.#hash = this.#create();
  }

  #create(): Hash | Hmac {
    return this.#secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(this.#secret));
  }
}

function toBuffer(data: SourceData): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}
