/**
 * Container names and ids: docker's rules (a name is `[a-zA-Z0-9][a-zA-Z0-9_.-]+`, stored with a leading `/`;
 * an id is 64 lowercase hex digits) and generated two-word names for containers created without one.
 */
import { randomBytes } from 'node:crypto';
import { CError } from '@c/errors';

const NAME_PATTERN = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

// Our own word lists (adjective_noun, like docker's generator; the words are not docker's).
const ADJECTIVES = [
  'amber', 'brave', 'brisk', 'calm', 'clever', 'cosmic', 'crisp', 'daring', 'deep', 'eager', 'early', 'fancy',
  'gentle', 'glad', 'golden', 'grand', 'happy', 'hidden', 'humble', 'jolly', 'keen', 'kind', 'lively', 'lucid',
  'lunar', 'merry', 'mighty', 'misty', 'modest', 'noble', 'polite', 'proud', 'quick', 'quiet', 'rapid', 'rustic',
  'serene', 'sharp', 'silent', 'silver', 'smooth', 'solar', 'steady', 'sunny', 'swift', 'tender', 'tidy', 'vivid',
  'warm', 'wild', 'wise', 'witty', 'young', 'zesty',
];
const NOUNS = [
  'badger', 'beacon', 'birch', 'canyon', 'cedar', 'comet', 'coral', 'crane', 'delta', 'dune', 'eagle', 'ember',
  'falcon', 'fern', 'fjord', 'galaxy', 'glacier', 'harbor', 'heron', 'island', 'jaguar', 'kestrel', 'lagoon',
  'lantern', 'maple', 'meadow', 'meteor', 'nebula', 'orbit', 'otter', 'panda', 'pebble', 'pine', 'prairie',
  'quartz', 'raven', 'reef', 'river', 'saturn', 'sequoia', 'sparrow', 'summit', 'thistle', 'tundra', 'valley',
  'walrus', 'willow', 'yak', 'zephyr',
];

/** A new container id: 32 random bytes as hex, never all digits (docker avoids ids that parse as numbers). */
export function newContainerId(): string {
  for (;;) {
    const id = randomBytes(32).toString('hex');
    if (!/^\d+$/.test(id.slice(0, 12))) return id;
  }
}

/** `name` → `/name`, refusing what docker refuses. */
export function canonicalName(name: string): string {
  if (!NAME_PATTERN.test(name)) {
    throw new CError('INVALID_ARGUMENT', `Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`, {
      hint: 'use letters, digits, "_", "." and "-", starting with a letter or digit',
      details: { name },
    });
  }
  return name.startsWith('/') ? name : `/${name}`;
}

/**
 * A free generated name (`/adjective_noun`, then with a number suffix when many are taken). `random` is for tests.
 */
export function generateName(taken: (name: string) => boolean, random: () => number = Math.random): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  for (let attempt = 0; attempt < 20; attempt++) {
    const base = `/${pick(ADJECTIVES)}_${pick(NOUNS)}`;
    const name = attempt < 10 ? base : `${base}${Math.floor(random() * 10)}`;
    if (!taken(name)) return name;
  }
  for (let n = 10; ; n++) {
    const name = `/${pick(ADJECTIVES)}_${pick(NOUNS)}${n}`;
    if (!taken(name)) return name;
  }
}

export function nameConflict(name: string, holder: string): CError {
  return new CError(
    'CONFLICT',
    `Conflict. The container name "${name}" is already in use by container "${holder}". You have to remove (or rename) that container to be able to reuse that name.`,
    { hint: `remove or rename container ${holder.slice(0, 12)}, or choose another name`, details: { name, id: holder } },
  );
}
