/**
 * The sandbox's public surface: a local stand-in for 360dialog's API used by the integration
 * tests, the demo and the benchmarks.
 */
export { createSandbox, type CreateSandboxOptions, type Sandbox } from './create-sandbox.ts';
export { runSandboxFromCli, type RunSandboxOptions } from './run-sandbox-from-cli.ts';
export {
  parseSandboxConfig,
  sandboxConfigSchema,
  type SandboxConfig,
  type SandboxConfigInput,
  type SandboxChannel,
  type SandboxTemplate,
} from './sandbox-config.ts';
export type { FaultRule, FaultRuleInput, FaultEffect } from './fault-rules.ts';
export type { AcceptedMessage } from './message-log.ts';
export type { SandboxStats, ChannelStats } from './sandbox-stats.ts';
export type { InboundInput, PreferenceInput } from './control-routes.ts';
