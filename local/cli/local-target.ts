import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalRuntime } from '../runtime/index.ts';

/** What `npm start` publishes about itself, so the CLI (another process) can find its parts. */
export interface LocalRuntimeInfo {
  readonly apiUrl: string;
  readonly sfnEndpoint: string;
  readonly dynamoEndpoint: string;
  readonly tableName: string;
  readonly stateMachineArns: readonly string[];
  readonly simulatorUrls: Readonly<Record<string, string>>;
  readonly pid: number;
}

/** `<tmpdir>/stepflow-local/runtime-<port>.json`: one file per API port, removed on shutdown. */
export function runtimeInfoPath(apiUrl: string): string {
  const port = new URL(apiUrl).port || '80';
  return join(tmpdir(), 'stepflow-local', `runtime-${port}.json`);
}

/** Publishes `runtime`'s endpoints for the CLI; returns the file written. */
export function writeRuntimeInfo(runtime: LocalRuntime): string {
  const info: LocalRuntimeInfo = {
    apiUrl: runtime.apiUrl,
    sfnEndpoint: runtime.sfnEndpoint,
    dynamoEndpoint: runtime.dynamo.endpoint,
    tableName: runtime.tableName,
    stateMachineArns: runtime.workflows.map((workflow) => workflow.stateMachineArn),
    simulatorUrls: { ...runtime.simulators.urls },
    pid: process.pid,
  };
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
  return info;
}
