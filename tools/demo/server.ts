/*
 * The demo dashboard's HTTP server (node:http, 127.0.0.1 only): the page in
 * tools/demo/dashboard/ (plain browser JS, no build step, no CDN) and a small
 * JSON API over the running street. It only reads what an engineer could
 * read (the registry, the acker's stored records, the devices' log lines and
 * the e-paper controller models' glass) and only does what a person on the
 * street could do (cut a device's network, restart the broker, press a
 * sign's audio button).
 *
 *   GET  /demo/street                 broker, boards source, whether "restart broker" is possible and why not
 *   GET  /demo/devices                every device: role, board, status, fw, health, last seen, network, outbox, panel counters
 *   GET  /demo/signs/:id/panel.png    what the sign's controller model shows (Cache-Control: no-store)
 *   GET  /demo/signs/:id/state        {source?, notice?, screenLine?, refreshes, lastLines}
 *   GET  /demo/poles/:id/series       small time series from the stored window records
 *   POST /demo/devices/:id/network    {"up": boolean}: cut or restore the device's network
 *   POST /demo/broker/restart         restart the embedded broker (retained state is lost; devices reconnect)
 *   POST /demo/signs/:id/press        press the audio button; returns the "tts:" lines it produced
 * Errors are JSON {error}: 400 bad body, 404 unknown path or device, 405 wrong method (with Allow), 409 not possible now.
 * HTTP semantics per RFC 9110 (§15.5.6 405 needs an Allow header).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { SimDevice } from "../../host-sim/device";
import type { SimBoard } from "../../host-sim/io/board";
import { panelImage, panelPng, type PanelImage } from "../../host-sim/panel-image";
import type { DeviceRecord } from "../ops/registry";
import type { DeviceLog } from "./device-log";
import { poleSeries, type SeriesRecord } from "./pole-series";

const DASHBOARD_DIR = fileURLToPath(new URL("./dashboard/", import.meta.url));
const STATIC: Readonly<Record<string, { file: string; type: string }>> = Object.freeze({
	"/": { file: "index.html", type: "text/html; charset=utf-8" },
	"/index.html": { file: "index.html", type: "text/html; charset=utf-8" },
	"/dashboard.js": { file: "dashboard.js", type: "text/javascript; charset=utf-8" },
	"/dashboard.css": { file: "dashboard.css", type: "text/css; charset=utf-8" },
});
/** A POST body larger than this is refused (the API's bodies are a few bytes). */
const MAX_BODY_BYTES = 4_096;
/** How long the audio button is held down, ms (the firmware debounces 50 ms). */
export const PRESS_MS = 100;
/** How long a press waits for its "tts:" lines, at most, ms. */
const PRESS_WAIT_MS = 2_000;

/** One device of the street as the dashboard knows it. */
export interface StreetDevice {
	id: string;
	role: string;
	board: string;
	sim: SimDevice;
}

/** What the server reads and steers: the running demo (tools/commands/demo.ts). */
export interface DemoStreet {
	devices: readonly StreetDevice[];
	registry: { devices: ReadonlyMap<string, DeviceRecord> };
	/** the acker's stored records */
	records(): readonly SeriesRecord[];
	log: DeviceLog;
	broker: { url: string; embedded: boolean; restartable: boolean; reason?: string };
	/** what feeds the signs' boards */
	boards: string;
	/** restarts the embedded broker; rejects with a reason when there is none */
	restartBroker(): Promise<void>;
}

class HttpError extends Error {
	constructor(
		readonly status: number,
		message: string,
		readonly allow?: string,
	) {
		super(message);
	}
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
	const text = JSON.stringify(body);
	res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store", "Content-Length": Buffer.byteLength(text), ...headers });
	res.end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
	const chunks: Buffer[] = [];
	let size = 0;
	for await (const chunk of req as AsyncIterable<Buffer>) {
		size += chunk.length;
		if (size > MAX_BODY_BYTES) throw new HttpError(400, `body larger than ${MAX_BODY_BYTES} bytes`);
		chunks.push(chunk);
	}
	const text = Buffer.concat(chunks).toString("utf8");
	if (text.trim() === "") return undefined;
	try {
		return JSON.parse(text);
	} catch {
		throw new HttpError(400, "body is not JSON");
	}
}

function panelOf(d: StreetDevice): PanelImage | undefined {
	const board = d.sim.bridge?.board as SimBoard | undefined;
	return panelImage(d.board, board?.parts as Record<string, unknown> | undefined);
}

/** The summary the dashboard shows for a health record (README "Wire contract", …/health). */
function healthSummary(r: DeviceRecord | undefined): Record<string, unknown> | undefined {
	const h = r?.health;
	if (!h) return undefined;
	return { uptimeS: h.uptimeS, resetReason: h.resetReason, bootCount: h.bootCount, connects: h.connects, outboxPending: h.outboxPending, outboxLost: h.outboxLost, heapSlots: h.heapSlots, freeBytes: h.freeBytes, parts: h.parts };
}

export interface DemoServer {
	readonly port: number;
	readonly url: string;
	close(): Promise<void>;
}

/**
 * Serves the dashboard for `street` on 127.0.0.1:`port` (0 = any free port).
 * @throws the listen error (EADDRINUSE when the port is taken)
 */
export async function startDemoServer(street: DemoStreet, port: number): Promise<DemoServer> {
	const find = (id: string, role?: string): StreetDevice => {
		const d = street.devices.find((x) => x.id === id && (!role || x.role === role));
		if (!d) throw new HttpError(404, role ? `no ${role} "${id}" in the street` : `no device "${id}" in the street`);
		return d;
	};

	function deviceJson(d: StreetDevice): Record<string, unknown> {
		const r = street.registry.devices.get(d.id);
		const p = d.role === "stop-sign" ? panelOf(d) : undefined;
		const ring = d.sim.runtime?.cloud?.ring?.stats;
		return {
			id: d.id,
			role: d.role,
			board: d.board,
			status: r?.status?.state ?? "unknown",
			online: r?.status?.state === "online",
			fw: r?.status?.fw ?? d.sim.bootedVersion,
			bootCount: r?.status?.bootCount,
			health: healthSummary(r),
			lastSeen: r?.lastSeen || undefined,
			network: d.sim.net.up() ? "up" : "down",
			connected: d.sim.runtime?.session?.connected ?? false,
			running: d.sim.runtime?.state === "running",
			// The device's flash outbox as the simulator sees it: it grows while the link is down and drains when acks come back.
			outbox: ring ? { pending: ring.pending, nextSeq: ring.nextSeq, dropped: ring.dropped } : undefined,
			panel: p ? { controller: p.controller, full: p.full, partial: p.partial, width: p.width, height: p.height } : undefined,
		};
	}

	async function press(d: StreetDevice): Promise<string[]> {
		const board = d.sim.bridge?.board as SimBoard | undefined;
		const pinNo = Number(d.sim.bridge?.config.audioPin ?? -1);
		if (!board) throw new HttpError(409, `${d.id} is not running`);
		if (!(pinNo >= 0)) throw new HttpError(409, `${d.id} has no audio button (audioPin ${pinNo})`);
		const mark = street.log.mark(d.id);
		const pin = board.pin(pinNo);
		// A press pulls the line low (the button shorts it to ground against the pull-up), a release lets it float high.
		pin.drive(0);
		await new Promise((r) => setTimeout(r, PRESS_MS));
		pin.drive(undefined);
		const bilingual = d.sim.bridge?.config.signLang === "zh-en";
		const want = bilingual ? 2 : 1;
		const end = Date.now() + PRESS_WAIT_MS;
		let tts: string[] = [];
		while (Date.now() < end) {
			tts = street.log.since(d.id, mark).filter((l) => l.includes("tts: "));
			if (tts.length >= want) break;
			await new Promise((r) => setTimeout(r, 20));
		}
		return tts.map((l) => l.slice(l.indexOf("tts: ") + 5));
	}

	const idOf = (raw: string): string => {
		try {
			return decodeURIComponent(raw);
		} catch {
			throw new HttpError(400, `bad percent-encoding in "${raw}"`);
		}
	};

	async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const url = new URL(req.url ?? "/", "http://127.0.0.1");
		const path = url.pathname;
		const method = req.method ?? "GET";
		const only = (m: string) => {
			if (method !== m) throw new HttpError(405, `${method} not allowed on ${path}`, m);
		};

		const file = STATIC[path];
		if (file) {
			only("GET");
			const body = readFileSync(DASHBOARD_DIR + file.file);
			res.writeHead(200, { "Content-Type": file.type, "Cache-Control": "no-store", "Content-Length": body.length });
			res.end(body);
			return;
		}
		if (path === "/demo/street") {
			only("GET");
			return send(res, 200, { broker: street.broker, boards: street.boards, devices: street.devices.map((d) => ({ id: d.id, role: d.role, board: d.board })) });
		}
		if (path === "/demo/devices") {
			only("GET");
			return send(res, 200, street.devices.map(deviceJson));
		}
		if (path === "/demo/broker/restart") {
			only("POST");
			if (!street.broker.restartable) throw new HttpError(409, street.broker.reason ?? "the broker cannot be restarted from here");
			await street.restartBroker();
			return send(res, 200, { restarted: true, url: street.broker.url });
		}
		let m = /^\/demo\/signs\/([^/]+)\/(panel\.png|state|press)$/.exec(path);
		if (m) {
			const d = find(idOf(m[1]), "stop-sign");
			if (m[2] === "panel.png") {
				only("GET");
				const image = panelOf(d);
				if (!image) throw new HttpError(409, `${d.id} has no panel image (not running, or a board without a panel)`);
				const png = panelPng(image);
				res.writeHead(200, { "Content-Type": "image/png", "Cache-Control": "no-store", "Content-Length": png.byteLength, "X-Panel-Refreshes": String(image.full + image.partial) });
				res.end(Buffer.from(png.buffer, png.byteOffset, png.byteLength));
				return;
			}
			if (m[2] === "state") {
				only("GET");
				const screen = street.log.screen(d.id);
				const image = panelOf(d);
				return send(res, 200, {
					id: d.id,
					source: screen?.source,
					notice: screen?.notice,
					screenLine: screen?.line,
					refreshes: image ? image.full + image.partial : 0,
					full: image?.full ?? 0,
					partial: image?.partial ?? 0,
					violations: image?.violations.length ?? 0,
					lastLines: street.log.lines(d.id),
				});
			}
			only("POST");
			return send(res, 200, { id: d.id, tts: await press(d) });
		}
		m = /^\/demo\/poles\/([^/]+)\/series$/.exec(path);
		if (m) {
			only("GET");
			const d = find(idOf(m[1]), "light-pole");
			const max = url.searchParams.has("max") ? Number(url.searchParams.get("max")) : undefined;
			if (max !== undefined && !(Number.isInteger(max) && max >= 1 && max <= 1_000)) throw new HttpError(400, "max must be an integer 1..1000");
			return send(res, 200, poleSeries(street.records(), d.id, max));
		}
		m = /^\/demo\/devices\/([^/]+)\/network$/.exec(path);
		if (m) {
			only("POST");
			const d = find(idOf(m[1]));
			const body = await readJson(req);
			const up = (body as { up?: unknown } | undefined)?.up;
			if (typeof up !== "boolean") throw new HttpError(400, 'expected a JSON body {"up": true|false}');
			d.sim.net.setUp(up);
			street.log.add(d.id, `[dashboard] network ${up ? "restored" : "cut"}`);
			return send(res, 200, { id: d.id, network: up ? "up" : "down" });
		}
		throw new HttpError(404, `no such path: ${path}`);
	}

	const server: Server = createServer((req, res) => {
		route(req, res).catch((e: unknown) => {
			if (res.headersSent) return void res.destroy();
			if (e instanceof HttpError) send(res, e.status, { error: e.message }, e.allow ? { Allow: e.allow } : {});
			else send(res, 500, { error: (e as Error).message ?? String(e) });
		});
	});
	await new Promise<void>((resolve, reject) => {
		server.once("error", reject);
		server.listen(port, "127.0.0.1", () => {
			server.off("error", reject);
			resolve();
		});
	});
	const bound = (server.address() as { port: number }).port;
	return {
		port: bound,
		url: `http://127.0.0.1:${bound}/`,
		close: () =>
			new Promise<void>((resolve) => {
				server.close(() => resolve());
				// Keep-alive connections of a browser would hold close() open.
				server.closeAllConnections();
			}),
	};
}
