import { getMetadataStorage, MetadataStorage, ValidationArguments, ValidationTypes } from 'class-validator';

type ValidationMetadata = ReturnType<MetadataStorage['getTargetValidationMetadatas']>[number];

/** Whether one member of a request DTO passes its rules. */
export type MemberCheck = (dto: object) => boolean;

export interface CompiledValidator {
  /** One check per member that has rules; the DTO is valid when all pass. */
  readonly members: ReadonlyMap<string, MemberCheck>;
  isValid(dto: object): boolean;
}

const compiled = new WeakMap<Function, CompiledValidator | null>();

/**
 * The happy path of validateSync, compiled once per DTO class from the rules class-validator has registered for
 * it: the same constraint instances are called with the same arguments, without walking the metadata storage,
 * building ValidationError objects or reading messages on every request (a seventh of an Encrypt's CPU).
 * It only says valid or not; a failing request is validated again by class-validator, which words the error.
 * Null for a class using a kind of rule this does not evaluate (nested, promise, whitelist, async), which then
 * always takes class-validator's path.
 */
export function compiledValidatorFor(dtoClass: Function): CompiledValidator | null {
  let validator = compiled.get(dtoClass);
  if (validator === undefined) {
    validator = compile(dtoClass);
    compiled.set(dtoClass, validator);
  }
  return validator;
}

/** The rules class-validator applies to a DTO class: the selection validateSync makes with no groups and `always` unset. */
export function validationRulesOf(dtoClass: Function): ValidationMetadata[] {
  return getMetadataStorage().getTargetValidationMetadatas(dtoClass, undefined as unknown as string, false, false, undefined);
}

function compile(dtoClass: Function): CompiledValidator | null {
  const members = new Map<string, MemberCheck>();
  for (const [property, rules] of Object.entries(getMetadataStorage().groupByPropertyName(validationRulesOf(dtoClass)))) {
    const check = compileMember(property, rules);
    if (check === null) return null;
    members.set(property, check);
  }
  const checks = [...members.values()];
  return { members, isValid: (dto) => checks.every((check) => check(dto)) };
}

type ValueCheck = (object: object, value: unknown) => boolean;

function compileMember(property: string, rules: ValidationMetadata[]): MemberCheck | null {
  const conditions: Array<(object: object, value: unknown) => boolean> = [];
  const defined: ValueCheck[] = [];
  const custom: ValueCheck[] = [];
  for (const rule of rules) {
    if (rule.type === ValidationTypes.CONDITIONAL_VALIDATION) conditions.push(rule.constraints[0]);
    else if (rule.type === ValidationTypes.IS_DEFINED || rule.type === ValidationTypes.CUSTOM_VALIDATION) {
      const checks = compileConstraint(property, rule);
      if (checks === null) return null;
      (rule.type === ValidationTypes.IS_DEFINED ? defined : custom).push(...checks);
    } else return null;
  }
  return (dto) => {
    const value = (dto as Record<string, unknown>)[property];
    // class-validator: every condition must hold (IsOptional: the value is present) for any rule to apply
    for (const condition of conditions) if (!condition(dto, value)) return true;
    for (const check of defined) if (!check(dto, value)) return false;
    for (const check of custom) if (!check(dto, value)) return false;
    return true;
  };
}

function compileConstraint(property: string, rule: ValidationMetadata): ValueCheck[] | null {
  const constraints = getMetadataStorage().getTargetValidatorConstraints(rule.constraintCls);
  if (constraints.some((constraint) => constraint.async)) return null;
  return constraints.map(({ instance }) => (object, value) => {
    const args: ValidationArguments = { targetName: object.constructor?.name, property, object, value, constraints: rule.constraints };
    // `each` applies the rule to every element of a list, set or map, as class-validator does
    if (rule.each && (Array.isArray(value) || value instanceof Set || value instanceof Map)) {
      const elements = Array.isArray(value) ? value : value instanceof Map ? [...value.values()] : [...value];
      return elements.every((element) => !!instance.validate(element, args));
    }
    return !!instance.validate(value, args);
  });
}
