export * from './feed-record.ts';
export * from './detect-feed.ts';
export * from './detect-intel-feed.ts';
export * from './readers.ts';
export * from './store/intel-store.ts';
export * from './import/import-feeds.ts';
export * from './import/repository-sink.ts';
export * from './sync/index.ts';
