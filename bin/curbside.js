#!/usr/bin/env node
// The `curbside` CLI. Tools are TypeScript; tsx compiles them on load so the
// repo has no build step between `npm install` and `npm start`.
import { register } from "tsx/esm/api";

register();
await import("../tools/cli.ts");
