export * from './audit-digest-job';
export * from './audit-signing-key.loader';
export * from './refusal-audit-hook';
export * from './refusal-description';
export * from './refusal-facts';
export * from './refusal-recorder';
