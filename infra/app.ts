/**
 * The CDK app (`npx cdk synth|deploy [-c environment=<env>]`): one WorkflowStack per workflow
 * file in config/ (or WORKFLOW_CONFIG_DIR), checked by cdk-nag's AwsSolutions pack. A broken
 * workflow file or a missing handler module prints `file:line: message` diagnostics and exits 1,
 * without a stack trace; warnings go to stderr and synth goes on.
 */
import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildApp } from './build-app.ts';
import { runOrExit } from './workflow/index.ts';

const { app, warnings } = runOrExit(() => buildApp());
for (const warning of warnings) process.stderr.write(`${warning}\n`);
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
runOrExit(() => app.synth());
