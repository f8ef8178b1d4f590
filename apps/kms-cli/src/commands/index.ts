/**
 * The CLI's commands, one line each, in the order `--help` lists them. Every command module exports
 * `register(program: Command)`, which adds its command with its options and action.
 */
export { register as audit } from './audit';
export { register as state } from './state';
export { register as exportTrail } from './export';
export { register as replay } from './replay';
export { register as seed } from './seed';
export { register as clock } from './clock';
export { register as verify } from './verify';
export { register as rotateMasterKey } from './rotate-master-key';
