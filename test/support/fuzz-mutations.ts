/**
 * Seeded mutations of JSON request bodies for the fuzz test: a small deterministic PRNG, generators of hostile
 * member values (as JSON text), and body- and byte-level mutations. Bodies are kept as ordered [member, JSON text]
 * pairs so that duplicate members and "__proto__"/"constructor" members survive serialization exactly as written.
 */

/** sfc32: small, fast, and the same sequence for the same seed on every platform. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(readonly seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.next();
  }

  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  bytes(n: number): Buffer {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }

  uuid(): string {
    const hex = this.bytes(16).toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  }
}

export type Pairs = Array<[string, string]>;

export const toPairs = (body: Record<string, unknown>): Pairs => Object.entries(body).map(([k, v]) => [k, JSON.stringify(v)]);
export const serialize = (pairs: Pairs): string => `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;

const q = (s: string) => JSON.stringify(s);

/** What a member holds, guessed from its name (AWS PascalCase or REST camelCase). */
export type MemberKind = 'keyId' | 'blob' | 'enum' | 'number' | 'map' | 'list' | 'string' | 'boolean' | 'policy';

export function kindOf(member: string, valueText: string): MemberKind {
  const name = member.toLowerCase();
  if (name === 'policy') return 'policy';
  if (/keyid$|aliasname$/.test(name)) return 'keyId';
  if (/(blob|plaintext|ciphertext|message|signature|^mac$|publickey|importtoken|encryptedkeymaterial)$/.test(name)) return 'blob';
  if (/(algorithm|spec|usage|origin|model|type|includekeymaterial)$/.test(name)) return 'enum';
  if (/(limit|numberofbytes|days|validto)$/.test(name)) return 'number';
  if (/context$/.test(name)) return 'map';
  if (/(tokens|tags|tagkeys|modifiers)$/.test(name)) return 'list';
  if (valueText === 'true' || valueText === 'false') return 'boolean';
  return 'string';
}

export interface FuzzContext {
  /** Key ids the fuzz may name (never the protected ones). */
  keyIds: string[];
  account: string;
}

export class Mutator {
  constructor(
    readonly rng: Rng,
    private readonly ctx: FuzzContext,
  ) {}

  wrongType(): string {
    return this.rng.pick(['42', '-1', '0', '1.5', '1e308', '-0', 'true', 'false', 'null', '[]', '{}', '["a"]', '{"a":"b"}', '"string"', '""', '[[[]]]', '9007199254740993', '-9223372036854775809', '1e-400', '[null]', '{"toString":1,"valueOf":2}']);
  }

  hugeString(): string {
    const length = this.rng.pick([1025, 2049, 4097, 8193, 65_536, 200_000, 300_000]);
    const char = this.rng.pick(['x', 'A', '/', '\u00ff', '\u20ac', '🔑', '\\']);
    return q(char.repeat(Math.ceil(length / char.length)));
  }

  unicode(): string {
    const raw = this.rng.pick([
      '"\\u0000"',
      '"\\ud800"',
      '"\\udfff\\ud800"',
      '"\\ud83d\\udd11"',
      '"\\u202eevil"',
      '"\\ufeff"',
      '"\\uffff"',
      '"e\\u0301"',
      '"\\u200b"',
      '"\\u0007\\u001b[31m"',
      q('🔑'.repeat(this.rng.int(3000) + 1)),
      q('Ωμέγα-鍵-ключ'),
      q('\u00e9'.repeat(300)),
      '"\\r\\n\\t"',
    ]);
    return raw;
  }

  hostileString(): string {
    return q(
      this.rng.pick([
        "'; DROP TABLE events; --",
        '${jndi:ldap://127.0.0.1/x}',
        '{{7*7}}',
        '<script>alert(1)</script>',
        '%s%n%x%d',
        '../../../../etc/passwd',
        '..%2F..%2F',
        'alias/aws/kms',
        '*',
        ' ',
        '',
        '\\',
        'null',
        'undefined',
        '__proto__',
        'constructor',
        'NaN',
        '-1',
        'true',
      ]),
    );
  }

  base64(): string {
    const length = this.rng.pick([0, 1, 2, 3, 15, 16, 31, 32, 33, 100, 255, 256, 512, 4096, 4097, 6144, 6145, 8192, 9000]);
    const text = this.rng.bytes(length).toString('base64');
    const variant = this.rng.int(6);
    if (variant === 0) return q(text.replace(/=+$/, ''));
    if (variant === 1) return q(text.replace(/\+/g, '-').replace(/\//g, '_'));
    if (variant === 2) return q(` ${text}\n`);
    if (variant === 3) return q(`${text}===`);
    return q(text);
  }

  /** A real blob (ciphertext, signature, token, public key) damaged: bits flipped, truncated, extended. */
  damagedBlob(valueText: string): string {
    let bytes: Buffer;
    try {
      bytes = Buffer.from(JSON.parse(valueText) as string, 'base64');
    } catch {
      return this.base64();
    }
    if (bytes.length === 0) return this.base64();
    const damaged = Buffer.from(bytes);
    switch (this.rng.int(6)) {
      case 0:
        damaged[this.rng.int(damaged.length)] ^= 1 << this.rng.int(8);
        return q(damaged.toString('base64'));
      case 1:
        return q(bytes.subarray(0, this.rng.int(bytes.length)).toString('base64'));
      case 2:
        return q(Buffer.concat([bytes, this.rng.bytes(1 + this.rng.int(64))]).toString('base64'));
      case 3:
        damaged.fill(this.rng.pick([0x00, 0xff]), this.rng.int(damaged.length));
        return q(damaged.toString('base64'));
      case 4:
        // The first bytes (versions, lengths, key ids in headers) are where parsers trust the input most.
        for (let i = 0; i < Math.min(8, damaged.length); i++) if (this.rng.chance(0.5)) damaged[i] = this.rng.int(256);
        return q(damaged.toString('base64'));
      default:
        return q(Buffer.concat([bytes.subarray(0, this.rng.int(bytes.length)), bytes]).toString('base64'));
    }
  }

  /** Key policies are JSON documents inside a string: the body's depth bound does not reach them. */
  policy(): string {
    const statement = '{"Sid":"s","Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:*","Resource":"*"}';
    return q(
      this.rng.pick([
        `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
        `{"Statement":${'{"a":'.repeat(40_000)}1${'}'.repeat(40_000)}}`,
        `{"Version":"2012-10-17","Statement":[${Array(3000).fill(statement).join(',')}]}`,
        '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*"}]}',
        '{"Statement":"x"}',
        '{"Statement":[]}',
        '{"Statement":[null]}',
        '{"__proto__":{"Statement":[]},"constructor":{"prototype":{}}}',
        '{"Statement":[{"Effect":{"toString":1}}]}',
        '{}',
        '[]',
        'null',
        '"x"',
        '{"Statement":[{"Sid":"' + 'x'.repeat(131_072) + '"}]}',
        'x'.repeat(131_073),
        '{"a":1,"a":2}',
        '{\t\r\n}',
        '{"Statement": [' + statement + '], "Version": "\u0000"}',
      ]),
    );
  }

  deep(): string {
    const depth = this.rng.pick([4, 9, 10, 11, 64, 1000, 20_000]);
    return this.rng.chance(0.5) ? `${'['.repeat(depth)}1${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
  }

  longList(): string {
    const length = this.rng.pick([11, 51, 999, 1000, 1001, 5000]);
    const element = this.rng.pick(['"t"', '1', '{"TagKey":"k","TagValue":"v"}', '{"key":"k","value":"v"}', 'null', '[]']);
    return `[${Array(length).fill(element).join(',')}]`;
  }

  number(): string {
    return this.rng.pick(['-1', '0', '-0', '1', '7', '30', '90', '1000', '1001', '1024', '1025', '2560', '2561', '365', '1e308', '-1e308', '1.0000001', '2147483648', '-2147483649', '1e21', '0.5', '"10"', '"NaN"', '9007199254740993', '1700000000', '4102444800', '-62135596800']);
  }

  enumJunk(valueText: string): string {
    const current = (() => {
      try {
        const v = JSON.parse(valueText);
        return typeof v === 'string' ? v : 'SYMMETRIC_DEFAULT';
      } catch {
        return 'SYMMETRIC_DEFAULT';
      }
    })();
    return q(
      this.rng.pick([
        current.toLowerCase(),
        `${current} `,
        ` ${current}`,
        current.replace(/_/g, '-'),
        `${current}\u0000`,
        'SYMMETRIC_DEFAULT',
        'RSA_2048',
        'RSAES_OAEP_SHA_256',
        'HMAC_SHA_256',
        'ECDSA_SHA_256',
        'SM2',
        'SM2PKE',
        'ML_DSA_44',
        'EXTERNAL_KEY_STORE',
        'AWS_CLOUDHSM',
        'EXTERNAL_MU',
        'RSAES_PKCS1_V1_5',
        'X'.repeat(100),
        '',
        'toString',
      ]),
    );
  }

  keyIdJunk(): string {
    const known = this.rng.pick(this.ctx.keyIds);
    return q(
      this.rng.pick([
        this.rng.uuid(),
        known.toUpperCase(),
        ` ${known}`,
        `${known}\u0000`,
        `key/${known}`,
        `arn:aws:kms:us-east-1:999999999999:key/${known}`,
        `arn:aws:kms:eu-west-1:${this.ctx.account}:key/${known}`,
        `arn:aws:kms:us-east-1:${this.ctx.account}:alias/fuzz-target`,
        `arn:aws:kms:us-east-1:${this.ctx.account}:key/`,
        'arn:aws:kms:::',
        'arn:',
        'alias/',
        'alias/aws/s3',
        'alias/fuzz-target',
        'alias/fuzz-' + this.rng.int(1000),
        'mrk-' + this.rng.bytes(16).toString('hex'),
        '../../etc/passwd',
        '%00',
        '*',
        'k'.repeat(2049),
      ]),
    );
  }

  /** Any hostile value, weighted towards the member's kind. */
  valueFor(member: string, valueText: string): string {
    const kind = kindOf(member, valueText);
    const specific: Record<MemberKind, () => string> = {
      keyId: () => this.keyIdJunk(),
      blob: () => (this.rng.chance(0.6) ? this.damagedBlob(valueText) : this.base64()),
      enum: () => this.enumJunk(valueText),
      number: () => this.number(),
      map: () =>
        this.rng.pick([
          '{}',
          '{"":""}',
          '{"a":null}',
          '{"a":1}',
          '{"a":["b"]}',
          `{"a":${this.hugeString()}}`,
          '{"__proto__":{"x":"y"}}',
          '{"__proto__":"x"}',
          '{"constructor":"x","toString":"y","hasOwnProperty":"z"}',
          '{"purpose":"fuzz","__proto__":"fuzz"}',
          '{"a":"b","a":"c"}',
          '{"\u0000":"\u0000"}',
          `{"${'k'.repeat(9000)}":"v"}`,
          `{${Array.from({ length: 200 }, (_, i) => `"k${i}":"v"`).join(',')}}`,
        ]),
      policy: () => this.policy(),
      list: () => this.rng.pick(['[]', '[""]', '[null]', '[1]', '["a",1]', '[{}]', '[{"TagKey":1,"TagValue":"v"}]', '[{"TagKey":"aws:x","TagValue":"v"}]', '[{"key":"","value":""}]', this.longList()]),
      string: () => this.hostileString(),
      boolean: () => this.rng.pick(['"true"', '1', '0', 'null', '"false"', '[]']),
    };
    const roll = this.rng.int(10);
    if (roll < 4) return specific[kind]();
    if (roll === 4) return this.wrongType();
    if (roll === 5) return this.hugeString();
    if (roll === 6) return this.unicode();
    if (roll === 7) return this.deep();
    if (roll === 8) return this.rng.chance(0.5) ? 'null' : this.base64();
    return this.rng.pick([this.number(), this.longList(), this.hostileString(), this.keyIdJunk()]);
  }

  extraMemberName(members: string[]): string {
    const existing = members.length > 0 ? this.rng.pick(members) : 'KeyId';
    return this.rng.pick([
      existing.toLowerCase(),
      existing.toUpperCase(),
      existing.charAt(0).toLowerCase() + existing.slice(1),
      `${existing} `,
      '__proto__',
      'constructor',
      'prototype',
      'toString',
      'hasOwnProperty',
      'valueOf',
      '',
      'Unknown',
      '\u0000',
      '🔑',
      'x'.repeat(1000),
    ]);
  }

  /** 1 to 3 member-level mutations; returns the description of what was done. */
  mutateMembers(pairs: Pairs): string[] {
    const done: string[] = [];
    const rounds = 1 + this.rng.int(3);
    for (let r = 0; r < rounds; r++) {
      const names = pairs.map(([k]) => k);
      const choice = this.rng.int(10);
      if (choice <= 4 && pairs.length > 0) {
        const i = this.rng.int(pairs.length);
        pairs[i] = [pairs[i][0], this.valueFor(pairs[i][0], pairs[i][1])];
        done.push(`set ${pairs[i][0]}`);
      } else if (choice <= 6 && pairs.length > 0) {
        const [removed] = pairs.splice(this.rng.int(pairs.length), 1);
        done.push(`drop ${removed[0]}`);
      } else if (choice === 7) {
        const name = this.extraMemberName(names);
        const value = this.rng.chance(0.5) ? this.rng.pick(['{"KeyId":"x","Limit":"y","polluted":true}', '{"prototype":{"polluted":true}}', '1']) : this.valueFor(name, '""');
        pairs.splice(this.rng.int(pairs.length + 1), 0, [name, value]);
        done.push(`add ${name.slice(0, 20)}`);
      } else if (choice === 8 && pairs.length > 0) {
        const [name, value] = this.rng.pick(pairs);
        pairs.push([name, this.rng.chance(0.5) ? value : this.valueFor(name, value)]);
        done.push(`duplicate ${name}`);
      } else {
        const i = pairs.length > 0 ? this.rng.int(pairs.length) : -1;
        if (i >= 0) pairs[i] = [pairs[i][0], 'null'];
        done.push(`null ${i >= 0 ? pairs[i][0] : ''}`);
      }
    }
    return done;
  }

  /** The body's text, sometimes replaced wholesale or damaged at the byte level. */
  finish(pairs: Pairs): { body: string | Buffer; done: string[] } {
    const roll = this.rng.int(100);
    if (roll < 6) {
      const body = this.rng.pick(['', ' ', '[]', '[{}]', 'null', '42', '"x"', 'true', '{', '}', '{"a"', '{"KeyId":}', '{,}', '{"a":1,}', 'NaN', '{"a":1}{"b":2}', '\u0000', '{"a":"\\x41"}', "{'a':1}"]);
      return { body, done: ['body replaced'] };
    }
    const text = serialize(pairs);
    if (roll < 12) return { body: text.slice(0, this.rng.int(text.length)), done: ['truncated'] };
    if (roll < 17) {
      const bytes = Buffer.from(text);
      const at = this.rng.int(bytes.length + 1);
      const junk = this.rng.pick([Buffer.from([0xff, 0xfe]), Buffer.from([0xc3]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xf4, 0x90, 0x80, 0x80]), Buffer.from([0x00]), this.rng.bytes(8)]);
      return { body: Buffer.concat([bytes.subarray(0, at), junk, bytes.subarray(at)]), done: ['bytes inserted'] };
    }
    if (roll < 20) return { body: `\ufeff${text}`, done: ['BOM'] };
    if (roll < 23) return { body: `${text}${this.rng.pick([' x', ',', '}', '\u0000', ' {"a":1}'])}`, done: ['trailing garbage'] };
    if (roll < 26 && text.length > 2) {
      const at = 1 + this.rng.int(text.length - 2);
      return { body: text.slice(0, at) + this.rng.pick(['"', '\\', '{', '[', ':', ',', '\u0000']) + text.slice(at + 1), done: ['char replaced'] };
    }
    return { body: text, done: [] };
  }
}
