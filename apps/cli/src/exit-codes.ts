/**
 * The one table from error codes to process exit codes. Docker's CLI exits 1 when an operation fails and 125
 * when the command itself could not run as given (bad flags, malformed arguments); c keeps that split so scripts
 * written for docker keep working, and adds 130 for an interrupted command (the shell's 128 + SIGINT).
 */
import type { ErrorCode } from '@c/errors';

export const EXIT_OK = 0;
/** The operation failed: missing image, refused credentials, registry down, digest mismatch... */
export const EXIT_FAILURE = 1;
/** The command could not run as given: unknown flag, missing argument, malformed reference. */
export const EXIT_USAGE = 125;
/** `c run`: the container's command exists but could not be invoked (permission denied, not executable). */
export const EXIT_CANNOT_INVOKE = 126;
/** `c run`: the container's command was not found. */
export const EXIT_COMMAND_NOT_FOUND = 127;
/** Interrupted (Ctrl-C or a cancelled operation). */
export const EXIT_CANCELLED = 130;

export const EXIT_CODES: Readonly<Record<ErrorCode, number>> = {
  NOT_FOUND: EXIT_FAILURE,
  INVALID_ARGUMENT: EXIT_USAGE,
  CONFLICT: EXIT_FAILURE,
  UNAUTHORIZED: EXIT_FAILURE,
  PERMISSION_DENIED: EXIT_FAILURE,
  DIGEST_MISMATCH: EXIT_FAILURE,
  LIMIT_EXCEEDED: EXIT_FAILURE,
  UNSAFE_CONTENT: EXIT_FAILURE,
  UNSUPPORTED: EXIT_FAILURE,
  UNAVAILABLE: EXIT_FAILURE,
  CANCELLED: EXIT_CANCELLED,
  SYSCALL: EXIT_FAILURE,
  INTERNAL: EXIT_FAILURE,
};

export function exitCodeFor(code: ErrorCode): number {
  return EXIT_CODES[code] ?? EXIT_FAILURE;
}

/**
 * `c run` / `c start -a`: like docker, every failure of c itself (daemon error, missing image, bad flag) is 125,
 * except a command that could not be started in the container: 127 when it does not exist, 126 when it cannot
 * be executed. The daemon says which only in the message (as dockerd does), so the message decides.
 */
export function runFailureExitCode(message: string): number {
  if (/executable file not found|no such file or directory|command not found/i.test(message)) return EXIT_COMMAND_NOT_FOUND;
  if (/permission denied|not executable|exec format error/i.test(message)) return EXIT_CANNOT_INVOKE;
  return EXIT_USAGE;
}
