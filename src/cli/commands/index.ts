// The CLI's commands, one module each; each exports a function that adds itself to the program.
import type { Command } from 'commander';
import type { CliContext } from '../context.js';

export type Register = (program: Command, ctx: CliContext) => void;

export const commands: Register[] = [];
