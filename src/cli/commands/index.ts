// The CLI's commands, one module each; each exports a function that adds itself to the program.
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { registerValidate } from './validate.js';
import { registerRender } from './render.js';
import { registerImport } from './import.js';
import { registerCheck } from './check.js';
import { registerProbe } from './probe.js';
import { registerEval } from './eval.js';
import { registerAnalyze } from './analyze.js';
import { registerIsolation } from './isolation.js';
import { registerDiff } from './diff.js';
import { registerApply } from './apply.js';
import { registerVerify } from './verify.js';
import { registerWatch } from './watch.js';
import { registerCounters } from './counters.js';
import { registerGenerate } from './generate.js';
import { registerAgent } from './agent.js';
import { registerWebhook } from './webhook.js';
import { registerReplay } from './replay.js';
import { registerServe } from './serve.js';

export type Register = (program: Command, ctx: CliContext) => void;

export const commands: Register[] = [
  registerValidate,
  registerRender,
  registerImport,
  registerCheck,
  registerProbe,
  registerEval,
  registerAnalyze,
  registerIsolation,
  registerDiff,
  registerApply,
  registerVerify,
  registerWatch,
  registerCounters,
  registerGenerate,
  registerAgent,
  registerWebhook,
  registerReplay,
  registerServe,
];
