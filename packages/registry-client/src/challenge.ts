/**
 * Parsing of `WWW-Authenticate` challenges (RFC 7235): `Bearer realm="…",service="…",scope="…"` or
 * `Basic realm="…"`. Values may be quoted, quoted values may contain commas and backslash escapes.
 */

export interface AuthChallenge {
  /** Lower-cased scheme: `bearer`, `basic`, or whatever else the server sent. */
  scheme: string;
  /** Parameters with lower-cased names. */
  params: Record<string, string>;
}

const TOKEN_CHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;

/** Parses one header value that may hold several challenges. Unparseable parts are skipped. */
export function parseWwwAuthenticate(header: string): AuthChallenge[] {
  const challenges: AuthChallenge[] = [];
  let i = 0;
  const skipSpace = () => {
    while (i < header.length && (header[i] === ' ' || header[i] === '\t')) i++;
  };
  const readToken = () => {
    const start = i;
    while (i < header.length && TOKEN_CHAR.test(header[i] ?? '')) i++;
    return header.slice(start, i);
  };
  let current: AuthChallenge | undefined;
  while (i < header.length) {
    skipSpace();
    if (header[i] === ',') {
      i++;
      continue;
    }
    const word = readToken();
    if (word === '') {
      i++; // stray character: skip it rather than loop forever
      continue;
    }
    skipSpace();
    if (header[i] === '=' && current) {
      i++;
      skipSpace();
      current.params[word.toLowerCase()] = readValue();
    } else {
      // A token not followed by `=` starts a new challenge (its scheme).
      current = { scheme: word.toLowerCase(), params: {} };
      challenges.push(current);
    }
  }
  return challenges;

  function readValue(): string {
    if (header[i] !== '"') return readToken();
    i++;
    let value = '';
    while (i < header.length && header[i] !== '"') {
      if (header[i] === '\\' && i + 1 < header.length) i++;
      value += header[i];
      i++;
    }
    i++; // closing quote
    return value;
  }
}

/** The challenges of a response's header(s), Bearer preferred over Basic. */
export function pickChallenge(header: string | string[] | undefined): AuthChallenge | undefined {
  if (header === undefined) return undefined;
  const all = (Array.isArray(header) ? header : [header]).flatMap(parseWwwAuthenticate);
  return all.find((c) => c.scheme === 'bearer') ?? all.find((c) => c.scheme === 'basic');
}
