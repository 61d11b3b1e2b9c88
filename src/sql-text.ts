/**
 * Reading SQL text the way SQLite's tokenizer does, without running it: where
 * the first statement ends (node-sqlite3 prepares only the first), which bind
 * parameters it has (node-sqlite3 binds by SQLite's parameter index), whether
 * it begins or ends a transaction (every facade `Database` is its own
 * connection as far as transactions go), and which connection settings its
 * PRAGMAs change (the pool replays them on every connection).
 */

/** One bind parameter token in a statement. @internal */
export interface ParameterToken {
  /** Offset of the token in the statement text. */
  start: number;
  /** Offset just past the token. */
  end: number;
  /** SQLite's parameter index (1-based). */
  index: number;
}

/** What {@link parseStatement} learns about the first statement of a text. @internal */
export interface ParsedStatement {
  /** The first statement's text (node-sqlite3 ignores whatever follows it). */
  sql: string;
  /** SQLite's parameter count (the largest index). */
  count: number;
  /** Parameter name (with its `?`, `:`, `@` or `$`) → index, as `sqlite3_bind_parameter_index`. */
  names: ReadonlyMap<string, number>;
  /** Every parameter token, in text order. */
  tokens: readonly ParameterToken[];
  /** Whether every token is a bare `?` (the text can be bound positionally as it is). */
  anonymousOnly: boolean;
  /** The transaction-control meaning of the statement, if it has one. */
  control: TransactionControl | undefined;
  /** Whether the text holds no statement at all (only whitespace, comments, `;`): node-sqlite3 prepares it, and running it does nothing. */
  empty: boolean;
}

/** A statement that begins, ends or marks a transaction. @internal */
export type TransactionControl =
  | { kind: 'begin'; mode: 'deferred' | 'immediate' | 'exclusive' }
  | { kind: 'commit' }
  | { kind: 'rollback' }
  | { kind: 'savepoint'; name: string }
  | { kind: 'release'; name: string }
  | { kind: 'rollback-to'; name: string };

interface Token {
  type: 'word' | 'param' | 'semi' | 'other';
  start: number;
  end: number;
  /** Upper-cased word or unquoted identifier text. */
  text: string;
}

const WORD = /[A-Za-z0-9_\u0080-\uffff$]/;

/** Splits SQL text into tokens, skipping whitespace and comments. */
function* tokenize(sql: string, from = 0): Generator<Token> {
  let i = from;
  const n = sql.length;
  while (i < n) {
    const c = sql[i] as string;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f') {
      i++;
    } else if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? n : nl + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      const close = sql.indexOf('*/', i + 2);
      i = close < 0 ? n : close + 2;
    } else if (c === "'" || c === '"' || c === '`' || c === '[') {
      const close = c === '[' ? ']' : c;
      let j = i + 1;
      for (;;) {
        const k = sql.indexOf(close, j);
        if (k < 0) {
          j = n;
          break;
        }
        if (close !== ']' && sql[k + 1] === close) {
          j = k + 2;
          continue;
        }
        j = k + 1;
        break;
      }
      const inner = sql.slice(i + 1, j - 1).replaceAll(close + close, close);
      yield { type: c === "'" ? 'other' : 'word', start: i, end: j, text: c === "'" ? '' : inner };
      i = j;
    } else if (c === ';') {
      yield { type: 'semi', start: i, end: i + 1, text: ';' };
      i++;
    } else if (c === '?') {
      let j = i + 1;
      while (j < n && (sql[j] as string) >= '0' && (sql[j] as string) <= '9') j++;
      yield { type: 'param', start: i, end: j, text: sql.slice(i, j) };
      i = j;
    } else if ((c === ':' || c === '@' || c === '$') && i + 1 < n && WORD.test(sql[i + 1] as string)) {
      let j = i + 1;
      while (j < n) {
        if (WORD.test(sql[j] as string)) j++;
        // Tcl-style `$name::more` and `$name(suffix)` are part of the name.
        else if (c === '$' && sql[j] === ':' && sql[j + 1] === ':') j += 2;
        else if (c === '$' && sql[j] === '(') {
          const close = sql.indexOf(')', j);
          j = close < 0 ? n : close + 1;
          break;
        } else break;
      }
      yield { type: 'param', start: i, end: j, text: sql.slice(i, j) };
      i = j;
    } else if (WORD.test(c)) {
      let j = i + 1;
      while (j < n && WORD.test(sql[j] as string)) j++;
      yield { type: 'word', start: i, end: j, text: sql.slice(i, j).toUpperCase() };
      i = j;
    } else {
      yield { type: 'other', start: i, end: i + 1, text: c };
      i++;
    }
  }
}

/**
 * Where the statement that starts at `from` ends: just past its `;`, or at
 * the end of the text. A `;` inside `CREATE TRIGGER … BEGIN … END` does not
 * end the statement (SQLite's `sqlite3_complete()` rule).
 */
function statementEnd(sql: string, from: number, params?: Token[]): number {
  let trigger = false;
  let words = 0;
  let previous = '';
  for (const token of tokenize(sql, from)) {
    if (token.type === 'word' && words < 4) {
      words++;
      if (words === 1 && token.text !== 'CREATE') words = 4;
      else if (token.text === 'TRIGGER') trigger = true;
    }
    if (token.type === 'semi') {
      if (!trigger || previous === 'END') return token.end;
    } else if (token.type === 'param') {
      params?.push(token);
    }
    previous = token.type === 'word' ? token.text : token.type;
  }
  return sql.length;
}

/** Splits a script into its statements (text slices, each with its `;`), dropping empty ones. @internal */
export function splitStatements(sql: string): string[] {
  const out: string[] = [];
  let from = 0;
  while (from < sql.length) {
    const end = statementEnd(sql, from);
    const text = sql.slice(from, end);
    if (firstWords(text, 1).length > 0) out.push(text);
    from = end;
  }
  return out;
}

/** The first `count` words (upper-cased) and identifiers of a statement. */
function firstWords(sql: string, count: number): string[] {
  const out: string[] = [];
  for (const token of tokenize(sql)) {
    if (token.type === 'semi') break;
    if (token.type !== 'word') {
      if (out.length > 0) break;
      return out;
    }
    out.push(token.text);
    if (out.length >= count) break;
  }
  return out;
}

/** Whether a text has no token but `;` (whitespace and comments only). */
function isEmpty(sql: string): boolean {
  for (const token of tokenize(sql)) if (token.type !== 'semi') return false;
  return true;
}

/** Says whether a statement begins, ends or marks a transaction. @internal */
export function transactionControl(sql: string): TransactionControl | undefined {
  const w = firstWords(sql, 5);
  switch (w[0]) {
    case 'BEGIN': {
      const mode = w[1] === 'IMMEDIATE' ? 'immediate' : w[1] === 'EXCLUSIVE' ? 'exclusive' : 'deferred';
      return { kind: 'begin', mode };
    }
    case 'COMMIT':
    case 'END':
      return { kind: 'commit' };
    case 'ROLLBACK': {
      let i = 1;
      if (w[i] === 'TRANSACTION') i++;
      if (w[i] !== 'TO') return { kind: 'rollback' };
      i++;
      if (w[i] === 'SAVEPOINT' && w.length > i + 1) i++;
      const name = w[i];
      return name === undefined ? undefined : { kind: 'rollback-to', name };
    }
    case 'SAVEPOINT':
      return w[1] === undefined ? undefined : { kind: 'savepoint', name: w[1] };
    case 'RELEASE': {
      const i = w[1] === 'SAVEPOINT' && w.length > 2 ? 2 : 1;
      return w[i] === undefined ? undefined : { kind: 'release', name: w[i] };
    }
    default:
      return undefined;
  }
}

/** The parameter index of each name, assigned as SQLite assigns them. */
function indexParameters(params: Token[]): { tokens: ParameterToken[]; names: Map<string, number>; count: number } {
  const names = new Map<string, number>();
  const tokens: ParameterToken[] = [];
  let count = 0;
  for (const p of params) {
    let index: number;
    if (p.text === '?') {
      index = ++count;
    } else if (p.text.startsWith('?')) {
      index = Number(p.text.slice(1));
      if (!names.has(p.text)) names.set(p.text, index);
      count = Math.max(count, index);
    } else {
      index = names.get(p.text) ?? ++count;
      names.set(p.text, index);
    }
    tokens.push({ start: p.start, end: p.end, index });
  }
  return { tokens, names, count };
}

const cache = new Map<string, ParsedStatement>();
const MAX_CACHED = 1000;

/**
 * Parses the first statement of `sql` (cached by text, 1,000 entries).
 * Leading whitespace and comments stay part of the text.
 * @internal
 */
export function parseStatement(sql: string): ParsedStatement {
  let parsed = cache.get(sql);
  if (parsed !== undefined) return parsed;
  const params: Token[] = [];
  const end = statementEnd(sql, 0, params);
  const text = sql.slice(0, end);
  const { tokens, names, count } = indexParameters(params);
  parsed = {
    sql: text,
    count,
    names,
    tokens,
    anonymousOnly: params.every((p) => p.text === '?'),
    control: transactionControl(text),
    empty: isEmpty(text),
  };
  if (cache.size >= MAX_CACHED) cache.clear();
  cache.set(sql, parsed);
  return parsed;
}

/** The first keyword of a statement (upper-cased), if it starts with one. @internal */
export function leadingKeyword(sql: string): string | undefined {
  return firstWords(sql, 1)[0];
}

/** A `PRAGMA [schema.]name = value` (or `name(value)`) statement found in a text. @internal */
export interface PragmaSetting {
  /** `name` or `schema.name`, lower-cased: a later setting with the same key replaces this one. */
  key: string;
  /** The bare pragma name, lower-cased. */
  name: string;
  /** The statement's text, as written. */
  statement: string;
}

/**
 * Every PRAGMA in `sql` (one statement or a script) that sets a value, in
 * order. A query form (`PRAGMA name`) sets nothing and is left out.
 * @internal
 */
export function pragmaSettings(sql: string): PragmaSetting[] {
  const out: PragmaSetting[] = [];
  for (const statement of splitStatements(sql)) {
    const words: Token[] = [];
    for (const token of tokenize(statement)) {
      if (token.type === 'semi' || words.length === 5) break;
      words.push(token);
    }
    if (words[0]?.type !== 'word' || words[0].text !== 'PRAGMA') continue;
    let at = 1;
    let schema = '';
    if (words[at + 1]?.text === '.' && words[at]?.type === 'word') {
      schema = `${(words[at] as Token).text.toLowerCase()}.`;
      at += 2;
    }
    const name = words[at];
    const next = words[at + 1];
    if (name?.type !== 'word' || (next?.text !== '=' && next?.text !== '(')) continue;
    const lower = name.text.toLowerCase();
    out.push({ key: schema + lower, name: lower, statement: statement.trim().replace(/;$/, '') });
  }
  return out;
}
