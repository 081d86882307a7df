#!/usr/bin/env node
// The package's bin: the command line lives in src/cli/ (one file per command).
import './cli/index.js';
