export { type Codec, jsonCodec, msgpackCodec } from './codec.js';
export { APPLICATION_ID, SCHEMA_VERSION, type StorageIdentity } from './schema.js';
export { SqliteStorage, type SqliteStorageOptions, openSqliteStorage } from './sqlite-storage.js';
