/**
 * docker's --env-file format: one VAR=value per line, `#` comments and blank lines skipped, a bare `VAR` takes
 * the value from c's own environment (and is dropped when unset there). Values are taken literally (no quotes).
 */
import { CError } from '@c/errors';

export function parseEnvFile(text: string, env: NodeJS.ProcessEnv, source = 'env file'): string[] {
  const out: string[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const name = eq === -1 ? line.trimEnd() : line.slice(0, eq);
    if (name === '' || /\s/.test(name)) {
      throw new CError('INVALID_ARGUMENT', `${source}:${index + 1}: variable '${name}' contains whitespaces or is empty`, {
        hint: 'write one VAR=value per line',
      });
    }
    if (eq !== -1) out.push(line);
    else if (env[name] !== undefined) out.push(`${name}=${env[name]}`);
  });
  return out;
}

/** `-e VAR=value` as given; `-e VAR` takes VAR from c's environment, like docker. */
export function envFlag(value: string, env: NodeJS.ProcessEnv): string | undefined {
  if (value.includes('=')) return value;
  return env[value] === undefined ? undefined : `${value}=${env[value]}`;
}
