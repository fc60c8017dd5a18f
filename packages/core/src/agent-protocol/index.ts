export * from './agent-protocol.ts';
export * from './canonical-inventory.ts';
