/**
 * The local console: an HTTP server on loopback showing each workflow's true dependency graph,
 * its executions and, per execution, the graph coloured live, a timeline of every attempt and
 * each step's result. It reads only through the workflow's status API and the Step Functions API.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ExecutionStatus, SFNClient } from '@aws-sdk/client-sfn';
import { EXECUTION_STATUSES } from '../../lambdas/contracts.ts';
import { type WorkflowGraph, workflowDrawGraph } from '../../lambdas/graph/index.ts';
import { renderSvg } from '../graph/svg.ts';
import { STATUS_BACKOFF } from '../poll-backoff.ts';
import { type Asset, buildAssets } from './assets.ts';
import { exampleInput } from './example-input.ts';
import {
  type ApiFetch,
  isFinal,
  listExecutions,
  type Operation,
  operateExecution,
  readExecutionView,
  startExecution,
} from './sources.ts';
import { type StatusChangeSource, type StreamPacing, streamExecution } from './stream.ts';
import { executionPage, homePage, problemPage, type WorkflowCard, workflowPage } from './views/pages.ts';

/** One workflow the console shows. */
export interface ConsoleWorkflow {
  /** The workflow's name (URL segment `/workflows/<name>`). */
  readonly name: string;
  /** Its true dependency graph (`workflowGraph(spec)` from infra/graph). */
  readonly graph: WorkflowGraph;
  /** JSON Schema of its input; its `examples[0]` (else a minimal input built from it) prefills the start form. @default {} */
  readonly schema?: Record<string, unknown>;
  /** Base URL of its start/status API resource, e.g. `http://127.0.0.1:3000/registrations` (`<api>/<api.resource>`). */
  readonly resourceUrl: string;
  /** Its state machine, for ListExecutions. */
  readonly stateMachineArn: string;
}

/** Options of {@link startConsole}. */
export interface ConsoleOptions {
  readonly workflows: readonly ConsoleWorkflow[];
  /** The Step Functions endpoint (the local runtime's `sfnEndpoint`). Ignored when `sfn` is given. */
  readonly sfnEndpoint?: string;
  /** A client to use instead (a deployed stack: real region and credentials). @default one for `sfnEndpoint` */
  readonly sfn?: SFNClient;
  /** How API requests are sent (a deployed stack may sign them). @default global fetch */
  readonly apiFetch?: ApiFetch;
  /**
   * AWS console base for links to each execution, e.g.
   * `https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1`.
   * @default none (local runs have no AWS console page)
   */
  readonly awsConsoleBase?: string;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 3001 (0 picks a free port) */
  readonly port?: number;
  /**
   * How soon a live page's server side reads the execution again after a change; the delay then
   * grows ×1.5 per read that saw none, up to `maxPollMs`. @default 250
   */
  readonly pollMs?: number;
  /** The longest delay between two reads of a live page. @default 1500 (`pollMs` when only it is given) */
  readonly maxPollMs?: number;
  /**
   * The local runtime's status-change events: a live page reads again at once when its execution
   * starts, ends or is redriven, instead of at its next read. @default none (reads on the back-off only)
   */
  readonly statusChanges?: StatusChangeSource;
}

/** The running console. */
export interface ConsoleServer {
  /** e.g. `http://127.0.0.1:3001/` */
  readonly url: string;
  /** Bytes of each bundled asset (`execution.js`, `workflow.js`, `console.css`). */
  readonly assetSizes: Readonly<Record<string, number>>;
  close(): Promise<void>;
}

/**
 * Bundles the client assets, lays out each workflow's graph and serves the console.
 *
 * @example
 * const runtime = await startLocalRuntime();
 * const spec = loadWorkflowFile('config/user_registration.yaml');
 * const console = await startConsole({
 *   sfnEndpoint: runtime.sfnEndpoint,
 *   workflows: [{ name: spec.name, graph: workflowGraph(spec), schema: spec.schema,
 *     resourceUrl: `${runtime.apiUrl}/registrations`, stateMachineArn: runtime.workflows[0]!.stateMachineArn }],
 * });
 */
export async function startConsole(options: ConsoleOptions): Promise<ConsoleServer> {
  const host = options.host ?? '127.0.0.1';
  const sfn = options.sfn ?? localSfnClient(options.sfnEndpoint);
  const sources = {
    sfn,
    apiFetch: options.apiFetch ?? ((url: string, init: RequestInit) => fetch(url, init)),
    ...(options.awsConsoleBase ? { awsConsoleBase: options.awsConsoleBase } : {}),
  };
  const assets = await buildAssets();
  const workflows = new Map(
    options.workflows.map((workflow) => {
      const card: WorkflowCard = {
        name: workflow.name,
        resourceUrl: workflow.resourceUrl.replace(/\/+$/, ''),
        svg: renderSvg(workflowDrawGraph(workflow.graph), {
          standalone: false,
          idPrefix: `wf-${workflow.name}`,
        }),
        stepCount: workflow.graph.steps.length,
      };
      return [workflow.name, { workflow, card }];
    }),
  );
  const pacing: StreamPacing = {
    pollMs: options.pollMs ?? 250,
    maxPollMs: options.maxPollMs ?? (options.pollMs === undefined ? STATUS_BACKOFF.maxMs : options.pollMs),
    ...(options.statusChanges ? { statusChanges: options.statusChanges } : {}),
  };
  /** `http://127.0.0.1:3001`, known once listening. */
  let ownOrigin = '';

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://console');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts[0] === 'assets' && parts.length === 2) return sendAsset(res, assets.get(parts[1]!));
    if (req.method === 'GET' && parts.length === 0) {
      const cards = await Promise.all(
        [...workflows.values()].map(async ({ workflow, card }) => ({
          card,
          recent: await listExecutions(sfn, workflow.stateMachineArn, undefined, 5),
        })),
      );
      return send(res, 200, 'text/html; charset=utf-8', homePage(cards));
    }
    const api = parts[0] === 'api';
    const [section, name, sub, id, tail, step, stepAction, ...extra] = api ? parts.slice(1) : parts;
    const entry = section === 'workflows' && name !== undefined ? workflows.get(name) : undefined;
    if (!entry) return notFound(res, `No workflow '${name ?? ''}' here.`);
    const { workflow, card } = entry;

    const operation =
      api && sub === 'executions' && id !== undefined
        ? operationOf(tail, step, stepAction, extra)
        : undefined;
    if (operation !== undefined && req.method === 'POST') {
      const refused = refusedPost(req, ownOrigin);
      if (refused)
        return send(res, refused.status, 'application/json', JSON.stringify({ message: refused.message }));
      const answer = await operateExecution(
        sources.apiFetch,
        card.resourceUrl,
        { operation, correlationId: id ?? '', ...(step === undefined ? {} : { step }) },
        await readBody(req),
      );
      return send(res, answer.status, 'application/json', JSON.stringify(answer.body));
    }

    if (api && req.method === 'POST' && sub === 'executions' && id === undefined) {
      const answer = await startExecution(sources.apiFetch, card.resourceUrl, await readBody(req));
      return send(res, answer.status, 'application/json', JSON.stringify(answer.body));
    }
    if (req.method !== 'GET') return send(res, 405, 'text/plain', 'method not allowed');
    if (!api && sub === undefined) {
      const filter = url.searchParams.get('status') ?? undefined;
      const status = (EXECUTION_STATUSES as readonly string[]).includes(filter ?? '')
        ? (filter as ExecutionStatus)
        : undefined;
      const executions = await listExecutions(sfn, workflow.stateMachineArn, status);
      const schema = workflow.schema ?? {};
      const example = exampleInput(schema);
      return send(
        res,
        200,
        'text/html; charset=utf-8',
        workflowPage(card, executions, status, { schema, example }),
      );
    }
    if (sub !== 'executions' || id === undefined) return notFound(res, 'No such page.');
    if (api && tail === 'events') {
      return streamExecution(
        req,
        res,
        () => readExecutionView(sources, { ...workflow, resourceUrl: card.resourceUrl }, id),
        pacing,
      );
    }
    const view = await readExecutionView(sources, { ...workflow, resourceUrl: card.resourceUrl }, id);
    if (!view) return notFound(res, `The ${workflow.name} API knows no execution '${id}'.`);
    if (api) return send(res, 200, 'application/json', JSON.stringify(view));
    const svg = renderSvg(workflowDrawGraph(workflow.graph, view.steps), {
      standalone: false,
      idPrefix: 'execution',
      reserveDetailChars: 22,
    });
    return send(res, 200, 'text/html; charset=utf-8', executionPage(view, svg, !isFinal(view.status)));
  };

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.end();
        return;
      }
      send(
        res,
        502,
        'text/html; charset=utf-8',
        problemPage('Cannot read the execution', (error as Error).message),
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 3001, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  ownOrigin = `http://${host}:${port}`;
  return {
    url: `http://${host}:${port}/`,
    assetSizes: Object.fromEntries([...assets].map(([file, asset]) => [file, asset.body.length])),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (!options.sfn) sfn.destroy();
    },
  };
}

/**
 * `stop`/`redrive` (no step) or `steps/<step>/resolve|fail` after `/api/workflows/<w>/executions/<id>/`.
 */
function operationOf(
  tail: string | undefined,
  step: string | undefined,
  action: string | undefined,
  extra: readonly string[],
): Operation | undefined {
  if (extra.length > 0) return undefined;
  if ((tail === 'stop' || tail === 'redrive') && step === undefined) return tail;
  if (tail === 'steps' && step !== undefined && (action === 'resolve' || action === 'fail')) return action;
  return undefined;
}

/**
 * An operator POST must be JSON and, when the browser says where it comes from, from this
 * console: another site's page cannot stop or redrive executions through a user's browser (a
 * cross-site JSON POST needs a preflight this server never grants).
 */
function refusedPost(
  req: IncomingMessage,
  ownOrigin: string,
): { status: number; message: string } | undefined {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type))
    return { status: 415, message: 'operator requests must be JSON (Content-Type: application/json)' };
  // Compared with the address the console listens on, never with the request's own Host (a
  // rebound DNS name would match itself).
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== ownOrigin)
    return { status: 403, message: `operator requests are accepted from this console only, not ${origin}` };
  return undefined;
}

/** A client for a local endpoint: any credentials do, and the region only shapes ARNs. */
function localSfnClient(endpoint: string | undefined): SFNClient {
  if (!endpoint) throw new Error('startConsole needs sfnEndpoint (or an sfn client)');
  return new SFNClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, {
    'Content-Type': type,
    'Cache-Control': 'no-store',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

function sendAsset(res: ServerResponse, asset: Asset | undefined): void {
  if (asset) send(res, 200, asset.type, asset.body);
  else send(res, 404, 'text/plain', 'no such asset');
}

function notFound(res: ServerResponse, message: string): void {
  send(res, 404, 'text/html; charset=utf-8', problemPage('Not found', message));
}

/** The request body, at most 256 KB (Step Functions' input limit; the API refuses more anyway). */
async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 262_144) throw new Error('request body over 256 KB');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
