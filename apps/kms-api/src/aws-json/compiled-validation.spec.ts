import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { validateSync } from 'class-validator';
import { compiledValidatorFor, validationRulesOf } from './compiled-validation';

/** Every request DTO of both APIs: the classes that carry class-validator rules. */
function requestDtoClasses(): Array<new () => object> {
  const dirs = [join(__dirname, 'dto'), join(__dirname, '..', 'rest', 'dto')];
  const classes = new Set<new () => object>();
  for (const dir of dirs) {
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.dto.ts'))) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      for (const exported of Object.values(require(join(dir, file)) as Record<string, unknown>)) {
        if (typeof exported !== 'function') continue;
        if (validationRulesOf(exported).length > 0) classes.add(exported as new () => object);
      }
    }
  }
  return [...classes];
}

/** Every string, number and list the DTOs' own rules mention (enum values, bounds), so valid values are tried too. */
function valuesFromRules(dtoClass: Function): unknown[] {
  const found: unknown[] = [];
  const collect = (value: unknown): void => {
    if (typeof value === 'string' || typeof value === 'number') found.push(value, [value]);
    else if (Array.isArray(value)) value.forEach(collect);
  };
  for (const rule of validationRulesOf(dtoClass)) {
    (rule.constraints ?? []).forEach(collect);
    for (const constraint of rule.constraints ?? []) if (typeof constraint === 'number') found.push('x'.repeat(Math.max(0, constraint)), 'x'.repeat(constraint + 1), constraint - 1, constraint + 1);
  }
  return found;
}

const CORPUS: unknown[] = [
  undefined, null, '', 'a', 'alias/app', '1234abcd-12ab-34cd-56ef-1234567890ab',
  'arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab', 'x'.repeat(2049), 'x'.repeat(300),
  Buffer.alloc(1).toString('base64'), Buffer.alloc(32).toString('base64'), Buffer.alloc(4096).toString('base64'), Buffer.alloc(4097).toString('base64'),
  Buffer.alloc(6145).toString('base64'), 'not base64!', 'AAA', 'AA==', '====',
  0, 1, -1, 1.5, 7, 30, 1024, 1e9, Number.NaN, Number.POSITIVE_INFINITY, true, false,
  [], ['a'], ['a', 'b'], [1], [null], ['x'.repeat(300)],
  {}, { a: 'b' }, { a: 1 }, { TagKey: 'k', TagValue: 'v' }, [{ TagKey: 'k', TagValue: 'v' }], [{ TagKey: 'k' }], [{ key: 'k', value: 'v' }],
  new Set(['a']), new Map([['a', 'b']]),
];

function dtoOf(dtoClass: new () => object, members: Record<string, unknown>): object {
  const dto = new dtoClass();
  for (const [member, value] of Object.entries(members)) Object.defineProperty(dto, member, { value, enumerable: true, writable: true, configurable: true });
  return dto;
}

/** Deterministic pseudo-random choices, so a failure reproduces. */
function chooser(seed: number): <T>(list: readonly T[]) => T {
  let state = seed >>> 0;
  return (list) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return list[state % list.length];
  };
}

describe('compiled request validation agrees with class-validator', () => {
  const classes = requestDtoClasses();

  it('covers the request DTOs of both APIs, with a compiled check for each', () => {
    expect(classes.length).toBeGreaterThan(40);
    for (const dtoClass of classes) expect(compiledValidatorFor(dtoClass)).not.toBeNull();
  });

  it('member by member: a member passes exactly when class-validator reports no error for it', () => {
    let passed = 0;
    let failed = 0;
    for (const dtoClass of classes) {
      const validator = compiledValidatorFor(dtoClass)!;
      const values = [...CORPUS, ...valuesFromRules(dtoClass)];
      for (const [member, check] of validator.members) {
        for (const value of values) {
          const dto = dtoOf(dtoClass, value === undefined ? {} : { [member]: value });
          const errors = validateSync(dto, { forbidUnknownValues: false });
          const classValidatorSays = !errors.some((error) => error.property === member);
          if (check(dto) !== classValidatorSays) throw new Error(`${dtoClass.name}.${member} = ${String(value).slice(0, 40)}: compiled ${check(dto)}, class-validator ${classValidatorSays}`);
          if (classValidatorSays) passed += 1;
          else failed += 1;
        }
      }
    }
    // both verdicts were exercised many times
    expect(passed).toBeGreaterThan(500);
    expect(failed).toBeGreaterThan(500);
  });

  it('whole requests: valid exactly when class-validator finds no error', () => {
    const choose = chooser(20261205);
    let valid = 0;
    for (const dtoClass of classes) {
      const validator = compiledValidatorFor(dtoClass)!;
      const values = [...CORPUS, ...valuesFromRules(dtoClass)];
      for (let round = 0; round < 200; round += 1) {
        const members: Record<string, unknown> = {};
        for (const member of validator.members.keys()) {
          const value = choose(values);
          if (value !== undefined) members[member] = value;
        }
        const dto = dtoOf(dtoClass, members);
        const expected = validateSync(dto, { forbidUnknownValues: false }).length === 0;
        expect({ dto: dtoClass.name, members, valid: validator.isValid(dto) }).toEqual({ dto: dtoClass.name, members, valid: expected });
        if (expected) valid += 1;
      }
    }
    expect(valid).toBeGreaterThan(20);
  });
});
