// Parses `WWW-Authenticate` (RFC 7235 §4.1). Registries put commas inside quoted values
// (`scope="repository:a:pull,push"`) and may send several challenges in one header, so a
// split on commas is not enough.

export interface AuthChallenge {
  /** Lower-cased: `bearer`, `basic`, … */
  scheme: string;
  /** Parameter names lower-cased, values unquoted. */
  params: Record<string, string>;
  token68?: string;
}

const TCHAR = /[!#$%&'*+.^_`|~0-9A-Za-z-]/;
const UNQUOTED_CHAR = /[^\s,"]/;
const TOKEN68_CHAR = /[A-Za-z0-9\-._~+/]/;

class Cursor {
  pos = 0;
  constructor(readonly text: string) {}

  get done(): boolean {
    return this.pos >= this.text.length;
  }

  peek(): string {
    return this.text[this.pos] ?? '';
  }

  skipSpaces(): void {
    while (this.peek() === ' ' || this.peek() === '\t') this.pos++;
  }

  skipSeparators(): void {
    while (this.peek() === ' ' || this.peek() === '\t' || this.peek() === ',') this.pos++;
  }

  read(pattern: RegExp): string {
    const start = this.pos;
    while (!this.done && pattern.test(this.peek())) this.pos++;
    return this.text.slice(start, this.pos);
  }

  quoted(): string {
    let out = '';
    this.pos++; // opening quote
    while (!this.done) {
      const ch = this.peek();
      this.pos++;
      if (ch === '"') return out;
      if (ch === '\\' && !this.done) {
        out += this.peek();
        this.pos++;
      } else out += ch;
    }
    return out; // unterminated: be lenient and take the rest
  }
}

/** Reads `name = value` at the cursor, or returns undefined (cursor unchanged) when it is not one. */
function readParam(c: Cursor): [string, string] | undefined {
  const start = c.pos;
  const name = c.read(TCHAR);
  c.skipSpaces();
  if (!name || c.peek() !== '=') {
    c.pos = start;
    return undefined;
  }
  c.pos++;
  c.skipSpaces();
  if (c.peek() === '"') return [name.toLowerCase(), c.quoted()];
  // Unquoted values should be tokens, but some servers send bare URLs: read up to the next comma.
  const value = c.read(UNQUOTED_CHAR);
  if (!value || value.startsWith('=')) {
    c.pos = start; // `abc==` is a token68 with padding, not a parameter
    return undefined;
  }
  return [name.toLowerCase(), value];
}

export function parseWwwAuthenticate(header: string | null | undefined): AuthChallenge[] {
  const challenges: AuthChallenge[] = [];
  if (!header) return challenges;
  const c = new Cursor(header);
  while (true) {
    c.skipSeparators();
    if (c.done) break;
    const scheme = c.read(TCHAR);
    if (!scheme) {
      c.pos++; // garbage character: skip it rather than loop forever
      continue;
    }
    const challenge: AuthChallenge = { scheme: scheme.toLowerCase(), params: {} };
    challenges.push(challenge);
    c.skipSpaces();
    let param = readParam(c);
    if (!param) {
      const start = c.pos;
      const token68 = c.read(TOKEN68_CHAR) + c.read(/=/);
      c.skipSpaces();
      // A token68 stands alone; anything else (a comma, the end) means the next challenge follows.
      if (token68 && (c.done || c.peek() === ',')) challenge.token68 = token68;
      else c.pos = start;
      continue;
    }
    while (param) {
      challenge.params[param[0]] = param[1];
      c.skipSpaces();
      if (c.peek() !== ',') break;
      const beforeComma = c.pos;
      c.skipSeparators();
      param = readParam(c);
      if (!param) c.pos = beforeComma; // not a param: the next challenge starts here
    }
  }
  return challenges;
}
