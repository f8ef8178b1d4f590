export { SEED_AT_START_OPTIONS, SeedAtStart, SeedAtStartError, type SeedAtStartOptions, type SeedStatus } from './seed-at-start';
