#!/usr/bin/env node
// `kv-store`: launches a local cluster of the key-value store (src/launch.ts); `kv-store --help` lists the flags.
import { runSource } from './run-source.mjs';

runSource('launch.ts');
