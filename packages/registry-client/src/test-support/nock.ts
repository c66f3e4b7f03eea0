/** Test-only: every nock-based suite runs offline and fails when an expected request was never made. */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';

export function offlineWithNock(): void {
  beforeAll(() => nock.disableNetConnect());
  afterAll(() => nock.enableNetConnect());
  afterEach(() => {
    const pending = nock.pendingMocks();
    nock.cleanAll();
    expect(pending).toEqual([]);
  });
}
