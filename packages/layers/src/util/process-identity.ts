/**
 * Telling a process from a later one that reuses its pid: the kernel's start time of the process
 * (field 22 of /proc/<pid>/stat, in clock ticks since boot) differs between the two.
 */
import { readFileSync } from 'node:fs';

/** True while a process with this pid exists (EPERM: it exists but belongs to someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The start time of `pid`, or undefined when it is not running (or /proc is unavailable). */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses; the fields after it are plain.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19]; // field 22 overall; this list starts at field 3
  } catch {
    return undefined;
  }
}

/** True while the process that recorded (`pid`, `startTime`) is still the one running under that pid. */
export function sameProcessAlive(pid: number, startTime: string | undefined): boolean {
  if (!processAlive(pid)) return false;
  if (startTime === undefined) return true;
  const current = processStartTime(pid);
  return current === undefined || current === startTime;
}
