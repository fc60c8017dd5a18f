export * from './feed-sources.ts';
export * from './sync-feeds.ts';
export * from './sync-status.ts';
export { isMirrorBookkeepingFile } from './mirror-metadata.ts';
export type { MirrorMetadata } from './mirror-metadata.ts';
