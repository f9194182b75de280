/*
 * The ops server's JSON HTTP API on node:http: the fleet registry, stored
 * records and numeric series (the dashboard's plots), config and commands
 * through Control, and the last board seen per stop. No framework: a table of
 * routes, JSON in and out (RFC 8259), errors as {error} with the RFC 9110
 * status that fits (400 bad input, 404 unknown device or route, 405 wrong
 * method with an Allow header, 413 body over 64 KiB, 415 a write that is not
 * application/json, 504 the device did not answer in time).
 *
 * Binds 127.0.0.1 unless told otherwise, and has no authentication: put it
 * behind a reverse proxy with TLS and auth before exposing it. Writes require
 * `Content-Type: application/json`, which a cross-origin page cannot send
 * without a CORS preflight this server never approves (Fetch standard,
 * "CORS-safelisted request-header"), so a web page cannot reboot a sign.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { checkTopicId } from "../../firmware/contract/topics";
import { ProtocolError } from "../../firmware/runtime/errors";
import { ControlTimeoutError, type Control } from "./control";
import type { Registry } from "./registry";
import type { DeviceRow, OpsStore } from "./store";

/** Largest request body, bytes. */
export const MAX_BODY_BYTES = 64 * 1024;
/** Largest page of records. */
export const MAX_RECORDS = 1_000;

export interface HttpApiOptions {
	store: OpsStore;
	/** sends commands and config (PUT/POST answer 503 without it) */
	control?: Control;
	/** the last board per stop (GET /api/stops/:id/board answers 404 without it) */
	registry?: Registry;
	/** @default "127.0.0.1" */
	host?: string;
	/** 0 picks a free port @default 8080 */
	port?: number;
	/** how long to wait for a device's answer, ms; a request may ask for less or more (≤ 60 000) with `waitMs` @default 15_000 */
	waitMs?: number;
}

/** An error with the HTTP status it maps to. */
export class HttpError extends Error {
	readonly status: number;
	readonly extra?: Record<string, unknown>;
	constructor(status: number, message: string, extra?: Record<string, unknown>) {
		super(message);
		this.status = status;
		this.extra = extra;
	}
	override get name(): string {
		return "HttpError";
	}
}

interface Request {
	params: string[];
	query: URLSearchParams;
	body: () => Promise<Record<string, unknown>>;
}
type Handler = (req: Request) => unknown | Promise<unknown>;
interface Route {
	method: "GET" | "PUT" | "POST";
	path: RegExp;
	handler: Handler;
}

const SEGMENT = "([^/]+)";
const KIND = /^[A-Za-z][A-Za-z0-9.]{0,39}$/;
const FIELD = /^[A-Za-z_][A-Za-z0-9_]{0,63}(\.[A-Za-z_][A-Za-z0-9_]{0,63}){0,3}$/;

export class HttpApi {
	#o: HttpApiOptions;
	#server: Server | undefined;
	#routes: Route[];
	#startedAt = Date.now();

	constructor(options: HttpApiOptions) {
		this.#o = options;
		const r = (method: Route["method"], path: string, handler: Handler): Route => ({ method, path: new RegExp(`^${path.replaceAll(":id", SEGMENT)}$`), handler });
		this.#routes = [
			r("GET", "/api/health", () => this.#health()),
			r("GET", "/api/devices", () => this.#o.store.devices().map(deviceView)),
			r("GET", "/api/devices/:id", ({ params }) => this.#device(params[0])),
			r("GET", "/api/devices/:id/records", ({ params, query }) => this.#records(params[0], query)),
			r("GET", "/api/devices/:id/series", ({ params, query }) => this.#series(params[0], query)),
			r("PUT", "/api/devices/:id/config", async ({ params, body }) => this.#configure(params[0], await body())),
			r("POST", "/api/devices/:id/commands", async ({ params, body }) => this.#command(params[0], await body())),
			r("GET", "/api/commands/:id", ({ params }) => this.#o.store.command(params[0]) ?? notFound(`no command "${params[0]}"`)),
			r("GET", "/api/stops/:id/board", ({ params }) => this.#o.registry?.boards.get(params[0]) ?? notFound(`no board seen for stop "${params[0]}"`)),
		];
	}

	/** Starts listening. @returns the base URL, e.g. http://127.0.0.1:8080 @throws Error when the address is taken or not local */
	async listen(): Promise<string> {
		const server = (this.#server = createServer((req, res) => void this.#serve(req, res)));
		await new Promise<void>((resolve, reject) => {
			server.once("error", (e) => reject(new Error(`ops HTTP API: cannot listen on ${this.#o.host ?? "127.0.0.1"}:${this.#o.port ?? 8080}: ${e.message}`)));
			server.listen(this.#o.port ?? 8080, this.#o.host ?? "127.0.0.1", resolve);
		});
		return this.url;
	}

	/** The base URL once listening. */
	get url(): string {
		const a = this.#server?.address() as AddressInfo | null | undefined;
		if (!a) throw new Error("ops HTTP API is not listening");
		return `http://${a.family === "IPv6" ? `[${a.address}]` : a.address}:${a.port}`;
	}

	/** Stops listening and drops open connections (idempotent). */
	async close(): Promise<void> {
		const server = this.#server;
		this.#server = undefined;
		if (!server) return;
		server.closeAllConnections();
		await new Promise<void>((resolve) => server.close(() => resolve()));
	}

	async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
		try {
			const url = new URL(req.url ?? "/", "http://localhost");
			const matches = this.#routes.map((route) => ({ route, m: route.path.exec(url.pathname) })).filter((x) => x.m);
			if (!matches.length) throw new HttpError(404, `no route ${url.pathname}`);
			const hit = matches.find((x) => x.route.method === req.method);
			if (!hit) {
				res.setHeader("Allow", matches.map((x) => x.route.method).join(", "));
				throw new HttpError(405, `${req.method} is not allowed on ${url.pathname}`);
			}
			let params: string[];
			try {
				params = hit.m!.slice(1).map(decodeURIComponent);
			} catch {
				throw new HttpError(400, "bad percent-encoding in the path");
			}
			send(res, 200, await hit.route.handler({ params, query: url.searchParams, body: () => readJson(req) }));
		} catch (e) {
			if (e instanceof HttpError) {
				if (e.status === 413 || e.status === 415) res.setHeader("Connection", "close"); // the rest of the body is not read
				send(res, e.status, { error: e.message, ...e.extra });
			} else if (e instanceof ProtocolError) send(res, 400, { error: e.message });
			else send(res, 500, { error: (e as Error).message });
		}
	}

	#health() {
		const s = this.#o.store;
		return { ok: true, devices: s.deviceCount(), records: s.recordCount(), uptimeS: Math.floor((Date.now() - this.#startedAt) / 1000) };
	}

	#known(id: string): DeviceRow {
		try {
			checkTopicId(id, "device id");
		} catch (e) {
			throw new HttpError(400, (e as Error).message);
		}
		return this.#o.store.device(id) ?? notFound(`no device "${id}"`);
	}

	#device(id: string) {
		const d = this.#known(id);
		const c = this.#o.store.config(id);
		return { ...deviceView(d), config: { desired: c.desired, desiredAt: c.desiredAt, reported: c.reported, reportedAt: c.reportedAt }, commands: this.#o.store.commands(id, 20) };
	}

	#records(id: string, q: URLSearchParams) {
		this.#known(id);
		return this.#o.store.records(id, { kind: optionalKind(q), since: since(q), limit: intParam(q, "limit", 1, MAX_RECORDS) ?? 100 });
	}

	#series(id: string, q: URLSearchParams) {
		this.#known(id);
		const kind = optionalKind(q) ?? badRequest("kind is required");
		const field = q.get("field") ?? badRequest("field is required");
		if (!FIELD.test(field)) badRequest(`field "${field}" is not a field name (letters, digits, _ and at most three dots)`);
		return this.#o.store.series(id, kind, field, since(q), intParam(q, "limit", 1, 10_000) ?? 5_000);
	}

	async #configure(id: string, body: Record<string, unknown>) {
		this.#known(id);
		const control = this.#control();
		onlyKeys(body, ["values", "waitMs"]);
		const values = body.values;
		if (!values || typeof values !== "object" || Array.isArray(values)) badRequest("values must be an object of config keys");
		return this.#answer(() => control.configure(id, values as Record<string, string | number | boolean>, this.#waitMs(body)));
	}

	async #command(id: string, body: Record<string, unknown>) {
		this.#known(id);
		const control = this.#control();
		onlyKeys(body, ["name", "args", "ttlMs", "waitMs"]);
		if (typeof body.name !== "string") badRequest("name must be a command name");
		if (body.args !== undefined && (!body.args || typeof body.args !== "object" || Array.isArray(body.args))) badRequest("args must be an object");
		if (body.ttlMs !== undefined && !Number.isSafeInteger(body.ttlMs)) badRequest("ttlMs must be an integer, ms");
		const commandId = randomUUID();
		const options = { id: commandId, args: body.args as Record<string, unknown> | undefined, ttlMs: body.ttlMs as number | undefined, waitMs: this.#waitMs(body) };
		await this.#answer(() => control.command(id, body.name as string, options), { id: commandId });
		return this.#o.store.command(commandId);
	}

	/** Runs a device exchange; no answer in time is 504 (with `extra`, e.g. the command id to look up later). */
	async #answer<T>(run: () => Promise<T>, extra?: Record<string, unknown>): Promise<T> {
		try {
			return await run();
		} catch (e) {
			if (e instanceof ControlTimeoutError) throw new HttpError(504, e.message, extra);
			throw e;
		}
	}

	#control(): Control {
		if (!this.#o.control) throw new HttpError(503, "this ops server has no control connection");
		return this.#o.control;
	}

	#waitMs(body: Record<string, unknown>): number {
		if (body.waitMs === undefined) return this.#o.waitMs ?? 15_000;
		if (!Number.isSafeInteger(body.waitMs) || (body.waitMs as number) < 1 || (body.waitMs as number) > 60_000) badRequest("waitMs must be an integer 1..60000, ms");
		return body.waitMs as number;
	}
}

/** "HOST:PORT", ":PORT" or "PORT" (host 127.0.0.1); IPv6 hosts in brackets. @throws Error naming the bad part */
export function parseHostPort(text: string): { host: string; port: number } {
	const m = /^(?:(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):)?(\d{1,5})$/.exec(text.trim());
	const port = m ? Number(m[2]) : NaN;
	if (!m || port > 65_535) throw new Error(`"${text}" is not HOST:PORT (e.g. 127.0.0.1:8080)`);
	const host = m[1] ? m[1].replace(/^\[(.*)\]$/, "$1") : "127.0.0.1";
	return { host, port };
}

function deviceView(d: DeviceRow) {
	return { id: d.id, role: d.role, board: d.board, fw: d.fw, state: d.state, bootCount: d.bootCount, lastSeen: d.lastSeen, health: d.health };
}

function send(res: ServerResponse, status: number, body: unknown): void {
	const text = JSON.stringify(body ?? null);
	res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(text), "Cache-Control": "no-store" });
	res.end(text);
}

function notFound(message: string): never {
	throw new HttpError(404, message);
}

function badRequest(message: string): never {
	throw new HttpError(400, message);
}

function onlyKeys(body: Record<string, unknown>, allowed: string[]): void {
	for (const key of Object.keys(body)) if (!allowed.includes(key)) badRequest(`unknown field "${key}" (allowed: ${allowed.join(", ")})`);
}

function optionalKind(q: URLSearchParams): string | undefined {
	const kind = q.get("kind") ?? undefined;
	if (kind !== undefined && !KIND.test(kind)) badRequest(`kind "${kind}" is not a record kind`);
	return kind;
}

/** `since`: epoch ms or an ISO 8601 date-time. */
function since(q: URLSearchParams): number | undefined {
	const raw = q.get("since");
	if (raw === null) return undefined;
	const t = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
	if (!Number.isSafeInteger(t)) badRequest(`since "${raw}" is neither epoch ms nor an ISO 8601 time`);
	return t;
}

function intParam(q: URLSearchParams, name: string, min: number, max: number): number | undefined {
	const raw = q.get(name);
	if (raw === null) return undefined;
	const n = Number(raw);
	if (!/^\d+$/.test(raw) || n < min || n > max) badRequest(`${name} must be an integer ${min}..${max}`);
	return n;
}

/** Reads a JSON object body of at most MAX_BODY_BYTES. @throws HttpError 413, 415 or 400 */
async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
	const type = (req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
	if (type !== "application/json") throw new HttpError(415, "send the body as Content-Type: application/json");
	const declared = Number(req.headers["content-length"]);
	if (declared > MAX_BODY_BYTES) throw new HttpError(413, `body over ${MAX_BODY_BYTES} bytes`);
	const chunks: Buffer[] = [];
	await new Promise<void>((resolve, reject) => {
		let size = 0;
		req.on("data", (chunk: Buffer) => {
			size += chunk.length;
			if (size <= MAX_BODY_BYTES) chunks.push(chunk);
			else {
				// Answer now and stop reading; the response says Connection: close, so the rest is never parsed.
				req.pause();
				reject(new HttpError(413, `body over ${MAX_BODY_BYTES} bytes`));
			}
		});
		req.on("end", resolve);
		req.on("error", reject);
	});
	let body: unknown;
	try {
		body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
	} catch (e) {
		throw new HttpError(400, `body is not JSON: ${(e as Error).message}`);
	}
	if (!body || typeof body !== "object" || Array.isArray(body)) throw new HttpError(400, "body must be a JSON object");
	return body as Record<string, unknown>;
}
