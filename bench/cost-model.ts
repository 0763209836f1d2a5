/**
 * Dollars per registration from counted usage and public list prices. Pure: the counts come from
 * real local runs (execution history, requests seen by dynalite); the prices are constants here.
 */

/**
 * Public on-demand list prices for us-east-1, as published in January 2025 (the date assumed for
 * every figure in BENCHMARKS.md). Prices change: check the AWS pricing pages before relying on them.
 * Free tiers are ignored (they do not scale with volume).
 */
export const PRICES = {
  asOf: '2025-01 (us-east-1 list prices; check the AWS pricing pages)',
  /** Step Functions Standard: per state transition ($0.025 per 1,000). */
  standardPerTransition: 0.025 / 1000,
  /** Step Functions Express: per execution ($1.00 per million). */
  expressPerRequest: 1.0 / 1e6,
  /** Step Functions Express: per GB-second, first 1,000 GB-hours per month. */
  expressPerGbSecond: 0.00001667,
  /** Express bills memory in 64 MB chunks; the smallest execution uses one. */
  expressMemoryMb: 64,
  /** Express rounds each execution's duration up to the next 100 ms. */
  expressDurationStepMs: 100,
  /** Lambda: per request ($0.20 per million). */
  lambdaPerRequest: 0.2 / 1e6,
  /** Lambda on Arm (arm64, as the stack deploys): per GB-second, first 7.5 billion GB-s. */
  lambdaArmPerGbSecond: 0.0000133334,
  /** DynamoDB on-demand: per write request unit ($0.625 per million). */
  dynamoPerWriteUnit: 0.625 / 1e6,
  /** DynamoDB on-demand: per read request unit ($0.125 per million). */
  dynamoPerReadUnit: 0.125 / 1e6,
  /** API Gateway REST API: per request ($3.50 per million, first 333 million). */
  apiGatewayPerRequest: 3.5 / 1e6,
} as const;

/** What one registration uses, as counted in a local run. */
export interface RegistrationUsage {
  /** Billed Standard transitions: states entered plus retried attempts. */
  readonly transitions: number;
  /** Execution duration (first to last history event), for Express. */
  readonly executionMs: number;
  /** Lambda invocations (steps, retries included, and API functions). */
  readonly lambdaInvocations: number;
  /** Sum of the invocations' durations in ms (billed per ms, rounded up per invocation). */
  readonly lambdaMs: number;
  /** Memory of the functions, MB. */
  readonly lambdaMemoryMb: number;
  /** DynamoDB write requests (each item <= 1 KB is one write request unit). */
  readonly dynamoWrites: number;
  /** DynamoDB read requests (each item <= 4 KB is at most one read request unit). */
  readonly dynamoReads: number;
  /** API Gateway requests (the POST; status polls are the client's choice). */
  readonly apiRequests: number;
}

/** Dollars per million registrations, per service, for both workflow types. */
export interface CostBreakdown {
  readonly stepFunctionsStandard: number;
  readonly stepFunctionsExpress: number;
  readonly lambda: number;
  readonly dynamo: number;
  readonly apiGateway: number;
  readonly totalStandard: number;
  readonly totalExpress: number;
}

/** Step Functions Express cost of one execution: request plus duration at the smallest memory. */
export function expressExecutionCost(executionMs: number): number {
  const billedMs = Math.ceil(executionMs / PRICES.expressDurationStepMs) * PRICES.expressDurationStepMs;
  const gbSeconds = (PRICES.expressMemoryMb / 1024) * (billedMs / 1000);
  return PRICES.expressPerRequest + gbSeconds * PRICES.expressPerGbSecond;
}

/**
 * Dollars per million registrations for a usage profile.
 *
 * @example costPerMillion({ transitions: 7, executionMs: 450, ... }).totalStandard
 */
export function costPerMillion(usage: RegistrationUsage): CostBreakdown {
  const million = 1e6;
  const standard = usage.transitions * PRICES.standardPerTransition * million;
  const express = expressExecutionCost(usage.executionMs) * million;
  const lambdaGbSeconds = (usage.lambdaMemoryMb / 1024) * (usage.lambdaMs / 1000);
  const lambda =
    (usage.lambdaInvocations * PRICES.lambdaPerRequest + lambdaGbSeconds * PRICES.lambdaArmPerGbSecond) *
    million;
  const dynamo =
    (usage.dynamoWrites * PRICES.dynamoPerWriteUnit + usage.dynamoReads * PRICES.dynamoPerReadUnit) * million;
  const apiGateway = usage.apiRequests * PRICES.apiGatewayPerRequest * million;
  const shared = lambda + dynamo + apiGateway;
  return {
    stepFunctionsStandard: standard,
    stepFunctionsExpress: express,
    lambda,
    dynamo,
    apiGateway,
    totalStandard: standard + shared,
    totalExpress: express + shared,
  };
}

/**
 * Transitions a hand-built retry loop pays per retry: the Catch leads to a counter (Pass), a
 * Choice on the counter, a Wait, and the Task entered again. A Retrier pays only the re-entry.
 */
export const HAND_BUILT_LOOP_TRANSITIONS_PER_RETRY = 4;

/** Transitions per retry with a native Retrier: the retried attempt itself (AWS bills retries). */
export const RETRIER_TRANSITIONS_PER_RETRY = 1;
