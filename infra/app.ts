/**
 * The CDK app (`npx cdk synth|deploy`): one WorkflowStack per workflow file in config/ (or
 * WORKFLOW_CONFIG_DIR), checked by cdk-nag's AwsSolutions pack. A broken workflow file or a
 * missing handler module prints `file:line: message` diagnostics and exits 1, without a stack trace.
 */
import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildApp } from './build-app.ts';
import { runOrExit } from './workflow/index.ts';

const { app, stacks } = runOrExit(() => buildApp());
for (const stack of stacks) {
  for (const warning of stack.warnings) process.stderr.write(`${warning}\n`);
}
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
runOrExit(() => app.synth());
