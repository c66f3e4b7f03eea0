/**
 * Docker's human formats: decimal sizes ("4.26MB"), relative ages ("2 hours ago"), short ids.
 * Kept pure so they are unit-tested without a terminal.
 */

const SIZE_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];

/**
 * Decimal (SI) size with `precision` significant digits, the way docker's go-units HumanSizeWithPrecision
 * prints it (`docker images` uses 3): 0B, 999B, 1kB, 4.26MB, 107MB. Trailing zeros are dropped.
 */
export function humanSize(bytes: number, precision = 3): string {
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1000 && unit < SIZE_UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  // Go's %.Ng: N significant digits, trailing zeros dropped.
  let text = Number(value.toPrecision(precision)).toString();
  if (Number(text) >= 1000 && unit < SIZE_UNITS.length - 1) {
    text = '1';
    unit++;
  }
  return `${text}${SIZE_UNITS[unit]}`;
}

/**
 * Docker's go-units HumanDuration: "Less than a second", "About a minute", "5 minutes", "About an hour",
 * "2 hours", "3 days", "2 weeks", "5 months", "2 years".
 */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(seconds / 60);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(seconds / 3600);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(hours / 24 / 365)} years`;
}

/** "2 hours ago" from an ISO timestamp; "N/A" when absent or unparsable (docker prints N/A too). */
export function humanAge(created: string | undefined, now: number = Date.now()): string {
  if (!created) return 'N/A';
  const time = Date.parse(created);
  if (Number.isNaN(time) || time <= 0) return 'N/A';
  return `${humanDuration(Math.max(0, now - time))} ago`;
}

/** The 12-hex image id docker shows: `sha256:` removed, truncated unless `noTrunc`. */
export function shortId(digest: string, noTrunc = false): string {
  if (noTrunc) return digest;
  const hex = digest.includes(':') ? digest.slice(digest.indexOf(':') + 1) : digest;
  return hex.slice(0, 12);
}

/**
 * Left-aligned columns separated by at least 3 spaces, like docker's tabwriter output (minwidth 0, padding 3).
 * The last column is not padded.
 */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, column) => Math.max(...all.map((row) => (row[column] ?? '').length)));
  const lines = all.map((row) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd((widths[column] ?? 0) + 3)))
      .join('')
      .trimEnd(),
  );
  return `${lines.join('\n')}\n`;
}
