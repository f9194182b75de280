/*
 * A vitest-compatible subset for the real XS engine: describe/it/test,
 * beforeEach/afterEach, expect with the matchers firmware suites use.
 * The XS runner aliases "vitest" to this module, so one test file runs
 * unchanged under vitest on Node and under xsnap. Results are reported to
 * the host through xsnap's issueCommand as JSON.
 */

type Fn = () => unknown | Promise<unknown>;
interface Case {
	name: string;
	fn: Fn;
	skip: boolean;
	hooks: { before: Fn[]; after: Fn[] };
}

const cases: Case[] = [];
const path: string[] = [];
const beforeStack: Fn[][] = [[]];
const afterStack: Fn[][] = [[]];

function currentHooks() {
	return { before: beforeStack.flat(), after: afterStack.flat().reverse() };
}

export function describe(name: string, body: () => void): void {
	path.push(name);
	beforeStack.push([]);
	afterStack.push([]);
	try {
		body();
	} finally {
		path.pop();
		beforeStack.pop();
		afterStack.pop();
	}
}
describe.skip = (_name: string, _body: () => void) => {};

export function it(name: string, fn: Fn, _timeout?: number): void {
	cases.push({ name: [...path, name].join(" > "), fn, skip: false, hooks: currentHooks() });
}
it.skip = (name: string, fn: Fn) => cases.push({ name: [...path, name].join(" > "), fn, skip: true, hooks: currentHooks() });
export const test = it;

export function beforeEach(fn: Fn): void {
	beforeStack[beforeStack.length - 1].push(fn);
}
export function afterEach(fn: Fn): void {
	afterStack[afterStack.length - 1].push(fn);
}

class AssertionError extends Error {
	override get name(): string {
		return "AssertionError";
	}
}

function show(v: unknown): string {
	if (typeof v === "string") return JSON.stringify(v);
	if (typeof v === "bigint") return `${v}n`;
	if (v instanceof Uint8Array) return `Uint8Array[${Array.from(v.subarray(0, 16)).join(",")}${v.length > 16 ? ",…" : ""}]`;
	if (typeof v === "function") return "[function]";
	try {
		const s = JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? `${x}n` : x));
		return s === undefined ? String(v) : s.length > 200 ? s.slice(0, 200) + "…" : s;
	} catch {
		return String(v);
	}
}

function deepEqual(a: unknown, b: unknown): boolean {
	if (Object.is(a, b)) return true;
	if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") return false;
	if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
		if (!ArrayBuffer.isView(a) || !ArrayBuffer.isView(b) || a.constructor !== b.constructor) return false;
		const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
		const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
		return x.length === y.length && x.every((v, i) => v === y[i]);
	}
	if (Array.isArray(a) !== Array.isArray(b)) return false;
	if (a instanceof Map && b instanceof Map) {
		if (a.size !== b.size) return false;
		for (const [k, v] of a) if (!b.has(k) || !deepEqual(v, b.get(k))) return false;
		return true;
	}
	const ka = Object.keys(a as object).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
	const kb = Object.keys(b as object).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
	if (ka.length !== kb.length) return false;
	return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

type Matcher = (actual: unknown, ...args: any[]) => [boolean, string];

function errorMatches(e: unknown, expected: unknown): boolean {
	if (expected === undefined) return true;
	const message = e && typeof e === "object" && "message" in e ? String((e as Error).message) : String(e);
	if (typeof expected === "string") return message.includes(expected);
	if (expected instanceof RegExp) return expected.test(message);
	if (typeof expected === "function") return e instanceof (expected as new (...a: any[]) => unknown);
	return false;
}

const MATCHERS: Record<string, Matcher> = {
	toBe: (a, b) => [Object.is(a, b), `expected ${show(a)} to be ${show(b)}`],
	toEqual: (a, b) => [deepEqual(a, b), `expected ${show(a)} to equal ${show(b)}`],
	toStrictEqual: (a, b) => [deepEqual(a, b), `expected ${show(a)} to strictly equal ${show(b)}`],
	toBeGreaterThan: (a, b) => [(a as number) > b, `expected ${show(a)} > ${show(b)}`],
	toBeGreaterThanOrEqual: (a, b) => [(a as number) >= b, `expected ${show(a)} >= ${show(b)}`],
	toBeLessThan: (a, b) => [(a as number) < b, `expected ${show(a)} < ${show(b)}`],
	toBeLessThanOrEqual: (a, b) => [(a as number) <= b, `expected ${show(a)} <= ${show(b)}`],
	toBeUndefined: (a) => [a === undefined, `expected ${show(a)} to be undefined`],
	toBeDefined: (a) => [a !== undefined, `expected value to be defined`],
	toBeNull: (a) => [a === null, `expected ${show(a)} to be null`],
	toBeTruthy: (a) => [!!a, `expected ${show(a)} to be truthy`],
	toBeFalsy: (a) => [!a, `expected ${show(a)} to be falsy`],
	toContain: (a, b) => [typeof a === "string" ? a.includes(b) : Array.isArray(a) && a.includes(b), `expected ${show(a)} to contain ${show(b)}`],
	toHaveLength: (a, n) => [(a as { length: number })?.length === n, `expected length ${(a as { length: number })?.length} to be ${n}`],
	toMatch: (a, r) => [typeof a === "string" && (typeof r === "string" ? a.includes(r) : r.test(a)), `expected ${show(a)} to match ${String(r)}`],
	toBeInstanceOf: (a, C) => [a instanceof C, `expected ${show(a)} to be an instance of ${C?.name}`],
	toBeCloseTo: (a, b, digits = 2) => [Math.abs((a as number) - b) < 10 ** -digits / 2, `expected ${show(a)} to be close to ${show(b)}`],
	toThrow: (fn, expected) => {
		try {
			(fn as () => unknown)();
		} catch (e) {
			return [errorMatches(e, expected), `expected throw matching ${show(expected instanceof RegExp ? String(expected) : expected)}, got ${show((e as Error)?.message ?? e)}`];
		}
		return [false, "expected function to throw"];
	},
};

export function expect(actual: unknown) {
	const build = (negate: boolean) => {
		const out: Record<string, (...args: unknown[]) => void> = {};
		for (const name of Object.keys(MATCHERS)) {
			out[name] = (...args: unknown[]) => {
				const [pass, message] = MATCHERS[name](actual, ...args);
				if (pass === negate) throw new AssertionError(negate ? `not: ${message}` : message);
			};
		}
		return out;
	};
	const positive = build(false) as Record<string, (...args: unknown[]) => void> & { not: Record<string, (...args: unknown[]) => void>; rejects: Record<string, (...args: unknown[]) => Promise<void>> };
	positive.not = build(true);
	positive.rejects = {
		toThrow: async (expected?: unknown) => {
			try {
				await (actual as Promise<unknown>);
			} catch (e) {
				if (!errorMatches(e, expected)) throw new AssertionError(`expected rejection matching ${show(expected)}, got ${show((e as Error)?.message ?? e)}`);
				return;
			}
			throw new AssertionError("expected promise to reject");
		},
	};
	return positive as any;
}

export interface CaseResult {
	name: string;
	status: "passed" | "failed" | "skipped";
	error?: string;
	compute?: number;
}

function describeFailure(e: unknown): string {
	if (e && typeof e === "object" && "message" in e) return `${(e as Error).name ?? "Error"}: ${(e as Error).message}`;
	return String(e);
}

/** Runs every registered case in order; never throws. */
export async function runAll(): Promise<CaseResult[]> {
	const results: CaseResult[] = [];
	for (const c of cases) {
		if (c.skip) {
			results.push({ name: c.name, status: "skipped" });
			continue;
		}
		try {
			for (const h of c.hooks.before) await h();
			await c.fn();
			results.push({ name: c.name, status: "passed" });
		} catch (e) {
			results.push({ name: c.name, status: "failed", error: describeFailure(e) });
		} finally {
			for (const h of c.hooks.after) {
				try {
					await h();
				} catch (e) {
					results.push({ name: `${c.name} (afterEach)`, status: "failed", error: describeFailure(e) });
				}
			}
		}
	}
	return results;
}

/** vi is not available on XS; referencing it fails loudly rather than silently passing. */
export const vi = new Proxy({}, { get: (_t, key) => { throw new Error(`vi.${String(key)} is not available on XS; keep firmware suites free of mocks`); } });
