// Test helpers; kept out of the library barrel because they depend on jest globals.
export { describeEventStoreContract, type EventStoreFixture } from './event-store.contract';
export { SubscriptionProbe } from './subscription-probe';
