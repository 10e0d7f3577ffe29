export { ChecksumError } from './checksum.js';
export { type Codec, jsonCodec, msgpackCodec } from './codec.js';
export { TAIL_BYTES, TAIL_ENTRIES } from './entry-tail.js';
export { type IdentityRecord, identityFilePath, readIdentityFile } from './identity-file.js';
export { writeJsonDurably } from './durable-file.js';
export { APPLICATION_ID, SCHEMA_VERSION, type StorageIdentity } from './schema.js';
export { SqliteStorage, type SqliteStorageOptions, openSqliteStorage } from './sqlite-storage.js';
