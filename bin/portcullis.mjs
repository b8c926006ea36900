#!/usr/bin/env node
// Launcher: registers the TypeScript loader, then runs the CLI in bin/portcullis.ts.
import { register } from 'tsx/esm/api';

register();
await import('./portcullis.ts');
