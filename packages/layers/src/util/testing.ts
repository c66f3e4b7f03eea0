/** Test helpers shared across the package's tests (not exported, not published). */
import { isCError } from '@c/errors';

/** The CError code a promise rejects with, or 'no error'; any other failure is rethrown. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (isCError(error)) return error.code;
    throw error;
  }
  return 'no error';
}
