import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalRuntime } from '../runtime/index.ts';

/** One workflow as a running `npm start` publishes it. */
export interface LocalWorkflowInfo {
  readonly name: string;
  readonly file: string;
  readonly resource: string;
  /** e.g. `http://127.0.0.1:3000/orders` */
  readonly resourceUrl: string;
  readonly stateMachineArn: string;
  /** Mocked or simulated service -> base URL (any of them answers the control API). */
  readonly services: Readonly<Record<string, string>>;
  readonly mockFile?: string;
}

/** What `npm start` publishes about itself, so the CLI (another process) can find its parts. */
export interface LocalRuntimeInfo {
  readonly apiUrl: string;
  readonly sfnEndpoint: string;
  readonly dynamoEndpoint: string;
  readonly tableName: string;
  readonly environment: string;
  readonly workflows: readonly LocalWorkflowInfo[];
  readonly pid: number;
}

/** `<tmpdir>/stepflow-local/runtime-<port>.json`: one file per API port, removed on shutdown. */
export function runtimeInfoPath(apiUrl: string): string {
  const port = new URL(apiUrl).port || '80';
  return join(tmpdir(), 'stepflow-local', `runtime-${port}.json`);
}

/** The published view of a runtime. */
export function runtimeInfo(runtime: LocalRuntime): LocalRuntimeInfo {
  return {
    apiUrl: runtime.apiUrl,
    sfnEndpoint: runtime.sfnEndpoint,
    dynamoEndpoint: runtime.dynamo.endpoint,
    tableName: runtime.tableName,
    environment: runtime.environment,
    workflows: runtime.workflows.map((workflow) => ({
      name: workflow.name,
      file: workflow.file,
      resource: workflow.resource,
      resourceUrl: workflow.resourceUrl,
      stateMachineArn: workflow.stateMachineArn,
      services: { ...workflow.services?.urls },
      ...(workflow.mockFile === undefined ? {} : { mockFile: workflow.mockFile }),
    })),
    pid: process.pid,
  };
}

/** Publishes `runtime`'s endpoints for the CLI; returns the file written. */
export function writeRuntimeInfo(runtime: LocalRuntime): string {
  const info = runtimeInfo(runtime);
  const path = runtimeInfoPath(info.apiUrl);
  mkdirSync(join(tmpdir(), 'stepflow-local'), { recursive: true });
  writeFileSync(path, `${JSON.stringify(info, null, 2)}\n`);
  return path;
}

export function removeRuntimeInfo(apiUrl: string): void {
  rmSync(runtimeInfoPath(apiUrl), { force: true });
}

/**
 * The runtime serving `apiUrl`, or an error saying how to start one. A file left by a runtime
 * that died is detected by its pid.
 */
export function readRuntimeInfo(apiUrl: string): LocalRuntimeInfo {
  const path = runtimeInfoPath(apiUrl);
  let info: LocalRuntimeInfo;
  try {
    info = JSON.parse(readFileSync(path, 'utf8')) as LocalRuntimeInfo;
  } catch {
    throw new Error(
      `No local runtime found for ${apiUrl} (${path} is missing): start one with \`npm start\``,
    );
  }
  try {
    process.kill(info.pid, 0);
  } catch (error) {
    // EPERM: alive but owned by someone else. ESRCH: gone.
    if ((error as NodeJS.ErrnoException).code === 'ESRCH')
      throw new Error(
        `The local runtime for ${apiUrl} (pid ${info.pid}) is gone: start one with \`npm start\``,
      );
  }
  if (!Array.isArray(info.workflows))
    throw new Error(`${path} was written by an older npm start: restart it`);
  return info;
}
