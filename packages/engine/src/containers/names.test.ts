import { isCError } from '@c/errors';
import { describe, expect, it } from 'vitest';
import { canonicalName, generateName, nameConflict, newContainerId } from './names';

describe('container ids and names', () => {
  it('ids are 64 hex digits, distinct, and their short form is not all digits', () => {
    const ids = new Set(Array.from({ length: 200 }, () => newContainerId()));
    expect(ids.size).toBe(200);
    for (const id of ids) {
      expect(id).toMatch(/^[0-9a-f]{64}$/);
      expect(id.slice(0, 12)).not.toMatch(/^\d+$/);
    }
  });

  it('canonical names get a leading slash; invalid names are refused with docker\'s wording', () => {
    expect(canonicalName('web')).toBe('/web');
    expect(canonicalName('/web.1_a-b')).toBe('/web.1_a-b');
    for (const bad of ['', 'a', '-x', '.x', 'a b', 'a/b', '/../x']) {
      let error: unknown;
      try {
        canonicalName(bad);
      } catch (e) {
        error = e;
      }
      expect(isCError(error, 'INVALID_ARGUMENT')).toBe(true);
      expect((error as Error).message).toMatch(/^Invalid container name/);
    }
  });

  it('generated names are two words and skip taken names', () => {
    const taken = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const name = generateName((n) => taken.has(n));
      expect(name).toMatch(/^\/[a-z]+_[a-z]+\d*$/);
      expect(taken.has(name)).toBe(false);
      taken.add(name);
    }
  });

  it('falls back to numbered names when the plain ones keep colliding', () => {
    let calls = 0;
    const name = generateName((n) => {
      calls++;
      return !/\d$/.test(n);
    }, () => 0.5);
    expect(name).toMatch(/\d$/);
    expect(calls).toBeGreaterThan(10);
  });

  it('the conflict error keeps docker\'s message', () => {
    const e = nameConflict('/x', 'a'.repeat(64));
    expect(e.code).toBe('CONFLICT');
    expect(e.message).toBe(
      `Conflict. The container name "/x" is already in use by container "${'a'.repeat(64)}". You have to remove (or rename) that container to be able to reuse that name.`,
    );
  });
});
