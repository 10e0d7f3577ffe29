#!/usr/bin/env node
// `kv`: the key-value store command line (src/cli.ts); `kv help` lists the commands.
import { runSource } from './run-source.mjs';

runSource('cli.ts');
