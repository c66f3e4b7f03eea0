import { CError } from '@c/errors';
import { describe, expect, it } from 'vitest';
import { chainId, chainIds } from './chain-id';

// DiffIDs are sha256 of "a", "b", "c"; ChainIDs computed independently with coreutils:
// printf '%s %s' "$parent" "$diff" | sha256sum
const D0 = 'sha256:ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb';
const D1 = 'sha256:3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d';
const D2 = 'sha256:2e7d2c03a9507ae265ecf5b5356885a53393a2029d241394997265a1a25aefc6';
const C1 = 'sha256:51c0c8ace48498d6f5fee6b0592cc06f2da0f3cbe09c5a34a97dce85c3889676';
const C2 = 'sha256:2fce7f8ce91bcf0a1428b36e1024639fdbd9469eea762dba98aa749631885106';

describe('chainIds', () => {
  it('ChainID(L0) is DiffID(L0), then sha256(parent + " " + diff)', () => {
    expect(chainIds([D0, D1, D2])).toEqual([D0, C1, C2]);
    expect(chainId([D0, D1, D2])).toBe(C2);
  });

  it('depends on order and on every layer below', () => {
    expect(chainIds([D1, D0])[1]).not.toBe(C1);
    expect(chainIds([D0, D1])).toEqual([D0, C1]);
  });

  it('is empty for an image without layers', () => {
    expect(chainIds([])).toEqual([]);
    expect(chainId([])).toBeUndefined();
  });

  it('refuses malformed DiffIDs, naming their index', () => {
    try {
      chainIds([D0, 'sha256:1234']);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(CError);
      expect((error as CError).code).toBe('INVALID_ARGUMENT');
      expect((error as CError).message).toContain('rootfs.diff_ids[1]');
    }
  });
});
