/**
 * Stand-in for the `string-width` package inside the bundled yargs/cliui. The real one compiles Unicode
 * property regexes (RGI_Emoji…) and an Intl.Segmenter when loaded, ~60 ms of every `c` start here. c's help text
 * is ASCII, so "one column per code point, ANSI escapes excluded" lays it out identically.
 */
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

export default function stringWidth(text: string): number {
  if (typeof text !== 'string' || text.length === 0) return 0;
  return [...text.replace(ANSI, '')].length;
}
