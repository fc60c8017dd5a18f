export * from './agent-protocol.ts';
