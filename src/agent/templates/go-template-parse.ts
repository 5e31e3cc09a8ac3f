// The lexer and parser of the Go text/template subset Swarm's secret and config templates use
// (see go-template.ts): text, actions with `{{- -}}` trimming, comments, pipelines of field
// chains, literals and function calls. Control structures and variables are refused with a
// message that says so; every error carries the template line it comes from.

export class TemplateError extends Error {
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`line ${line}: ${reason}`);
  }
}

export type Operand =
  | { kind: 'field'; chain: string[]; text: string }
  | { kind: 'dot' }
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'bool'; value: boolean }
  | { kind: 'func'; name: string }
  | { kind: 'pipeline'; pipeline: Pipeline };

/** One command of a pipeline: a function and its arguments, or a single value. */
export type Command = Operand[];
export type Pipeline = Command[];

export type TemplateNode = { kind: 'text'; text: string } | { kind: 'action'; line: number; pipeline: Pipeline };

/** Go's control and definition keywords: a Swarm template may use them, Berth's may not (yet). */
const KEYWORDS = new Set(['if', 'else', 'end', 'range', 'with', 'define', 'template', 'block', 'break', 'continue']);
const SPACE = /[ \t\r\n]/;
const IDENT = /[A-Za-z_0-9]/;

type Token =
  | { t: 'field'; chain: string[]; text: string }
  | { t: 'dot' }
  | { t: 'string'; value: string }
  | { t: 'number'; value: number }
  | { t: 'ident'; name: string }
  | { t: '|' | '(' | ')' };

/**
 * parseTemplate turns template text into nodes; `known` tells which function names exist (Go
 * rejects an unknown function when parsing, before anything runs).
 */
export function parseTemplate(src: string, known: (name: string) => boolean): TemplateNode[] {
  const nodes: TemplateNode[] = [];
  let pos = 0;
  let line = 1;
  let trimNext = false;
  const countLines = (from: number, to: number): void => {
    for (let i = from; i < to; i++) if (src.charCodeAt(i) === 10) line++;
  };
  while (pos < src.length) {
    const open = src.indexOf('{{', pos);
    let text = src.slice(pos, open < 0 ? src.length : open);
    countLines(pos, open < 0 ? src.length : open);
    if (trimNext) text = text.replace(/^[ \t\r\n]+/, '');
    trimNext = false;
    if (open < 0) {
      if (text) nodes.push({ kind: 'text', text });
      break;
    }
    let at = open + 2;
    // "{{- " trims the white space before the action; "{{-3" is the number -3.
    if (src[at] === '-' && SPACE.test(src[at + 1] ?? '')) {
      text = text.replace(/[ \t\r\n]+$/, '');
      at += 2;
    }
    if (text) nodes.push({ kind: 'text', text });
    const actionLine = line;
    const lexer = new Lexer(src, at, line);
    const { tokens, end, trimRight, comment } = lexer.action();
    countLines(open, end);
    pos = end;
    trimNext = trimRight;
    if (comment) continue;
    nodes.push({ kind: 'action', line: actionLine, pipeline: new Parser(tokens, actionLine, known).action() });
  }
  return nodes;
}

class Lexer {
  constructor(
    private readonly src: string,
    private pos: number,
    private line: number,
  ) {}

  private fail(reason: string): never {
    throw new TemplateError(this.line, reason);
  }

  /** action reads from after "{{" (and its trim marker) to after "}}". */
  action(): { tokens: Token[]; end: number; trimRight: boolean; comment: boolean } {
    const { src } = this;
    if (src.startsWith('/*', this.pos)) {
      const close = src.indexOf('*/', this.pos + 2);
      if (close < 0) this.fail('unclosed comment');
      this.advanceTo(close + 2);
      const rest = /^( -)?}}/.exec(src.slice(this.pos, this.pos + 4));
      if (!rest) this.fail('comment ends before closing delimiter: write {{/* ... */}}');
      return { tokens: [], end: this.pos + rest[0].length, trimRight: !!rest[1], comment: true };
    }
    const tokens: Token[] = [];
    for (;;) {
      if (this.pos >= src.length) this.fail('unclosed action: add }}');
      const c = src[this.pos]!;
      if (SPACE.test(c)) {
        const start = this.pos;
        while (this.pos < src.length && SPACE.test(src[this.pos]!)) this.pos++;
        this.countLines(start, this.pos);
        if (src.startsWith('-}}', this.pos)) return { tokens, end: this.pos + 3, trimRight: true, comment: false };
        continue;
      }
      if (src.startsWith('}}', this.pos)) return { tokens, end: this.pos + 2, trimRight: false, comment: false };
      tokens.push(this.token(c));
    }
  }

  private token(c: string): Token {
    const { src } = this;
    if (c === '|' || c === '(' || c === ')') {
      this.pos++;
      return { t: c };
    }
    if (c === '"') return { t: 'string', value: this.quoted() };
    if (c === '`') {
      const close = src.indexOf('`', this.pos + 1);
      if (close < 0) this.fail('unterminated raw quoted string');
      const value = src.slice(this.pos + 1, close);
      this.advanceTo(close + 1);
      return { t: 'string', value };
    }
    if (c === "'") return { t: 'number', value: this.char() };
    if (c === '.') {
      if (!/[A-Za-z_]/.test(src[this.pos + 1] ?? '')) {
        this.pos++;
        return { t: 'dot' };
      }
      const start = this.pos;
      const chain: string[] = [];
      while (src[this.pos] === '.' && /[A-Za-z_]/.test(src[this.pos + 1] ?? '')) {
        const from = ++this.pos;
        while (this.pos < src.length && IDENT.test(src[this.pos]!)) this.pos++;
        chain.push(src.slice(from, this.pos));
      }
      return { t: 'field', chain, text: src.slice(start, this.pos) };
    }
    if (c === '$') this.fail('variables ($x) are not supported in Berth\'s templates: use the fields and functions directly');
    if (/[0-9]/.test(c) || ((c === '-' || c === '+') && /[0-9]/.test(src[this.pos + 1] ?? ''))) {
      const m = /^[-+]?(?:0[xX][0-9a-fA-F_]+|[0-9_]*\.?[0-9_]+(?:[eE][-+]?[0-9]+)?)/.exec(src.slice(this.pos));
      const value = m ? Number(m[0].replace(/_/g, '')) : NaN;
      if (!m || Number.isNaN(value)) this.fail(`bad number syntax: ${JSON.stringify(src.slice(this.pos, this.pos + 10))}`);
      this.pos += m[0].length;
      return { t: 'number', value };
    }
    if (/[A-Za-z_]/.test(c)) {
      const start = this.pos;
      while (this.pos < src.length && IDENT.test(src[this.pos]!)) this.pos++;
      return { t: 'ident', name: src.slice(start, this.pos) };
    }
    if (c === ':' || c === '=') this.fail('variables (:= and =) are not supported in Berth\'s templates');
    return this.fail(`unexpected ${JSON.stringify(c)} in action`);
  }

  /** quoted reads a Go interpreted string literal with its escapes. */
  private quoted(): string {
    const { src } = this;
    let out = '';
    let i = this.pos + 1;
    for (;;) {
      const c = src[i];
      if (c === undefined || c === '\n') this.fail('unterminated quoted string');
      if (c === '"') break;
      if (c !== '\\') {
        out += c;
        i++;
        continue;
      }
      const e = src[i + 1];
      const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'", a: '\x07', b: '\b', f: '\f', v: '\v' };
      if (e !== undefined && simple[e] !== undefined) {
        out += simple[e];
        i += 2;
        continue;
      }
      const hex = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
      const digits = hex ? src.slice(i + 2, i + 2 + hex) : src.slice(i + 1, i + 4);
      if (hex && /^[0-9a-fA-F]+$/.test(digits) && digits.length === hex) {
        out += String.fromCodePoint(parseInt(digits, 16));
        i += 2 + hex;
      } else if (!hex && /^[0-7]{3}$/.test(digits)) {
        out += String.fromCharCode(parseInt(digits, 8));
        i += 4;
      } else {
        this.fail(`invalid escape \\${e ?? ''} in quoted string`);
      }
    }
    this.advanceTo(i + 1);
    return out;
  }

  /** char reads a Go character constant ('a', '\n'), which is a number. */
  private char(): number {
    const m = /^'(\\[ntr\\'"abfv]|[^\\'\n])'/u.exec(this.src.slice(this.pos, this.pos + 8));
    if (!m) this.fail('bad character constant');
    this.pos += m[0].length;
    const body = m[1]!;
    const escapes: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v' };
    return (body.startsWith('\\') ? escapes[body[1]!]! : body).codePointAt(0)!;
  }

  private advanceTo(to: number): void {
    this.countLines(this.pos, to);
    this.pos = to;
  }

  private countLines(from: number, to: number): void {
    for (let i = from; i < to; i++) if (this.src.charCodeAt(i) === 10) this.line++;
  }
}

class Parser {
  private i = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly line: number,
    private readonly known: (name: string) => boolean,
  ) {}

  private fail(reason: string): never {
    throw new TemplateError(this.line, reason);
  }

  action(): Pipeline {
    if (this.tokens.length === 0) this.fail('missing value for command');
    const p = this.pipeline();
    if (this.i < this.tokens.length) this.fail(`unexpected ${show(this.tokens[this.i]!)} in action`);
    return p;
  }

  private pipeline(): Pipeline {
    const commands: Pipeline = [this.command()];
    while (this.tokens[this.i]?.t === '|') {
      this.i++;
      commands.push(this.command());
    }
    return commands;
  }

  private command(): Command {
    const operands: Operand[] = [];
    for (;;) {
      const tok = this.tokens[this.i];
      if (!tok || tok.t === '|' || tok.t === ')') break;
      operands.push(this.operand(tok));
    }
    if (operands.length === 0) this.fail('missing value for command');
    return operands;
  }

  private operand(tok: Token): Operand {
    this.i++;
    switch (tok.t) {
      case 'field':
        return { kind: 'field', chain: tok.chain, text: tok.text };
      case 'dot':
        return { kind: 'dot' };
      case 'string':
        return { kind: 'string', value: tok.value };
      case 'number':
        return { kind: 'number', value: tok.value };
      case '(': {
        const pipeline = this.pipeline();
        if (this.tokens[this.i]?.t !== ')') this.fail('unclosed left paren');
        this.i++;
        return { kind: 'pipeline', pipeline };
      }
      case 'ident':
        if (tok.name === 'true' || tok.name === 'false') return { kind: 'bool', value: tok.name === 'true' };
        if (tok.name === 'nil') this.fail('nil is not a command');
        if (KEYWORDS.has(tok.name)) {
          this.fail(`{{${tok.name}}} is not supported in Berth's templates: they render fields and functions, without control structures`);
        }
        if (!this.known(tok.name)) this.fail(`function "${tok.name}" not defined`);
        return { kind: 'func', name: tok.name };
      default:
        return this.fail(`unexpected ${show(tok)} in operand`);
    }
  }
}

function show(tok: Token): string {
  switch (tok.t) {
    case 'field':
      return `<${tok.text}>`;
    case 'ident':
      return `<${tok.name}>`;
    case 'string':
      return JSON.stringify(tok.value);
    case 'number':
      return String(tok.value);
    case 'dot':
      return '<.>';
    default:
      return `"${tok.t}"`;
  }
}
