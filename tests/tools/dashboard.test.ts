/*
 * The demo dashboard in a real browser: Debian's Chromium (headless) driven by
 * playwright-core against the demo street started in-process (startDemo):
 * embedded aedes, ops server, boards publisher, two signs (M5Paper 960×540
 * bilingual, 7.5" UC8179 800×480) and two poles on the real firmware.
 *
 * What a person would check by looking: a sign's panel image is there and is
 * the panel's size, a pole's plot has a line, "Cut network" on a sign makes it
 * fall back to its timetable (stale) after its 30 s TTL and the glass changes,
 * "Restore network" brings it back live, the audio button reads out, and the
 * broker restart is survived. Plus the API's error answers (404/400/405/409)
 * and, on a street with an external broker, a disabled restart button that
 * says why.
 *
 * Every wait is bounded (a failure bound, never a timing assertion). Chromium
 * missing is a failure with a clear message, not a skip: CI installs it.
 */
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser, type Page } from "playwright-core";
import { decodePng } from "../../host-sim/png";
import { startDemo, type Demo, DEMO_BOARD_TTL_S } from "../../tools/commands/demo";
import { DeviceLog } from "../../tools/demo/device-log";
import { startDemoServer } from "../../tools/demo/server";

const CHROMIUM = "/usr/bin/chromium";
const SIGN = "sign-station";
const BILINGUAL = "sign-fish-market";
const POLE = "pole-main-st-01";

/** What the test reads of an <img> in the page (the Node tsconfig has no DOM lib). */
type Img = { complete: boolean; naturalWidth: number; naturalHeight: number };

let demo: Demo;
let browser: Browser;
let page: Page;
const lines: string[] = [];

async function json(path: string, init?: RequestInit): Promise<{ status: number; body: any; headers: Headers }> {
	const res = await fetch(new URL(path, demo.url), init);
	return { status: res.status, body: await res.json(), headers: res.headers };
}

async function pngOf(id: string): Promise<Uint8Array> {
	const res = await fetch(new URL(`/demo/signs/${id}/panel.png`, demo.url));
	expect(res.status).toBe(200);
	expect(res.headers.get("cache-control")).toBe("no-store");
	return new Uint8Array(await res.arrayBuffer());
}

function differ(a: Uint8Array, b: Uint8Array): number {
	const x = decodePng(a);
	const y = decodePng(b);
	let n = 0;
	for (let i = 0; i < x.gray.length; i++) if (x.gray[i] !== y.gray[i]) n++;
	return n;
}

/** Polls `done` every 250 ms until it holds; throws naming `what` after `ms` (a failure bound only). */
async function until(done: () => boolean | Promise<boolean>, what: string, ms: number): Promise<void> {
	const end = Date.now() + ms;
	while (!(await done())) {
		if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}; last lines:\n${lines.slice(-15).join("\n")}`);
		await new Promise((r) => setTimeout(r, 250));
	}
}

beforeAll(async () => {
	if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium) to run the dashboard browser test`);
	// Short pole windows so the plots have points within seconds; everything else as `npm start` runs it.
	demo = await startDemo({ port: 0, httpPort: 0, poleConfig: { windowMs: 5_000, sampleMs: 1_000, upDelayMs: 500 }, onLine: (l) => lines.push(l) });
	browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu"], timeout: 60_000 });
	page = await browser.newPage();
	page.setDefaultTimeout(30_000);
	await page.goto(demo.url);
}, 180_000);

afterAll(async () => {
	await browser?.close();
	await demo?.stop();
}, 60_000);

describe("demo dashboard in Chromium", () => {
	it("shows each sign's panel image at the panel's size", async () => {
		const devices = (await json("/demo/devices")).body as { id: string; role: string; panel?: { width: number; height: number } }[];
		expect(devices.map((d) => d.id).sort()).toEqual(["pole-main-st-01", "pole-main-st-02", "sign-fish-market", "sign-station"]);
		const sizes = new Map(devices.filter((d) => d.role === "stop-sign").map((d) => [d.id, d.panel!]));
		expect(sizes.get(BILINGUAL)).toMatchObject({ width: 960, height: 540 });
		expect(sizes.get(SIGN)).toMatchObject({ width: 800, height: 480 });
		for (const [id, size] of sizes) {
			const img = page.getByTestId(`panel-${id}`);
			await page.waitForFunction((el) => (el as unknown as Img).complete && (el as unknown as Img).naturalWidth > 0, await img.elementHandle(), { timeout: 60_000 });
			const natural = await img.evaluate((el) => [(el as unknown as Img).naturalWidth, (el as unknown as Img).naturalHeight]);
			expect(natural).toEqual([size.width, size.height]);
			const png = decodePng(await pngOf(id));
			expect([png.width, png.height]).toEqual([size.width, size.height]);
			// Something is drawn: the stop name, rows, the footer (ink on paper).
			expect(png.gray.filter((g) => g < 128).length).toBeGreaterThan(1_000);
		}
		await expect.poll(() => page.getByTestId(`status-${SIGN}`).textContent(), { timeout: 30_000 }).toBe("online");
		expect(await page.getByTestId(`fw-${SIGN}`).textContent()).toMatch(/^\d+\.\d+\.\d+/);
	}, 120_000);

	it("plots a pole's readings as an SVG path with points", async () => {
		const path = page.getByTestId(`path-${POLE}-temperature`);
		// Two windows stored by the acker give a line (M … L …).
		await page.waitForFunction((el) => /^M [\d.]+ [\d.]+ L /.test(el?.getAttribute("d") ?? ""), await path.elementHandle(), { timeout: 60_000 });
		const box = await path.evaluate((el) => (el as unknown as { getBBox(): { width: number } }).getBBox().width);
		expect(box).toBeGreaterThan(0);
		expect(await page.getByTestId(`value-${POLE}-temperature`).textContent()).toMatch(/°C \(\d+ windows\)/);
		const series = (await json(`/demo/poles/${POLE}/series`)).body;
		expect(series.series.temperature.length).toBeGreaterThanOrEqual(2);
		expect(series.series.people.length).toBeGreaterThanOrEqual(1);
		for (const [t, v] of series.series.temperature) {
			expect(t).toBeGreaterThan(1.6e12);
			expect(v).toBeGreaterThan(-40);
			expect(v).toBeLessThan(60);
		}
	}, 90_000);

	it("the audio button reads the departures out, in both languages on the bilingual sign", async () => {
		await page.getByTestId(`press-${BILINGUAL}`).click();
		await expect.poll(() => page.getByTestId(`tts-${BILINGUAL}`).textContent(), { timeout: 15_000 }).toMatch(/^Fish Market\. [\s\S]*\n鱼市场。/);
	}, 30_000);

	it("cut network: the sign falls back to its timetable (stale) within its TTL and the glass changes; restore: live again", async () => {
		await until(async () => (await json(`/demo/signs/${SIGN}/state`)).body.source === "live", `${SIGN} live`, 60_000);
		const before = await pngOf(SIGN);
		const refreshesBefore = (await json(`/demo/signs/${SIGN}/state`)).body.refreshes as number;
		const button = page.getByTestId(`network-${SIGN}`);
		expect(await button.textContent()).toBe("Cut network");
		await button.click();
		await expect.poll(() => page.getByTestId(`network-state-${SIGN}`).textContent(), { timeout: 10_000 }).toBe("down");
		await expect.poll(() => button.textContent(), { timeout: 10_000 }).toBe("Restore network");
		// The last board ages past the TTL (it was at most a third of it old), then the next 5 s tick falls back.
		const source = page.getByTestId(`source-${SIGN}`);
		await expect.poll(() => source.textContent(), { timeout: (DEMO_BOARD_TTL_S + 45) * 1_000, interval: 500 }).toBe("screen: timetable (stale)");
		const state = (await json(`/demo/signs/${SIGN}/state`)).body;
		expect(state.lastLines.join("\n")).toContain("stop-sign: screen: live → timetable (stale)");
		// The fallback is drawn: the panel refreshes and shows something else (clock times and the notice).
		await until(async () => (await json(`/demo/signs/${SIGN}/state`)).body.refreshes > refreshesBefore, "a panel refresh after the fallback", 30_000);
		await until(async () => differ(before, await pngOf(SIGN)) > 500, "the glass to change", 30_000);
		await expect.poll(async () => Number(await page.getByTestId(`panel-${SIGN}`).getAttribute("data-refreshes")), { timeout: 15_000 }).toBeGreaterThan(refreshesBefore);

		await button.click();
		await expect.poll(() => page.getByTestId(`network-state-${SIGN}`).textContent(), { timeout: 10_000 }).toBe("up");
		// Reconnect (backoff ≤ 10 s), the retained board arrives, the next tick shows it live.
		await expect.poll(() => source.textContent(), { timeout: 60_000, interval: 500 }).toBe("screen: live");
		expect((await json(`/demo/signs/${SIGN}/state`)).body.lastLines.join("\n")).toContain("stop-sign: screen: timetable (stale) → live");
	}, 180_000);

	it("cut a pole's network: its windows wait in the flash outbox; restore: they all arrive, none lost or doubled", async () => {
		const pending = () => page.getByTestId(`outbox-${POLE}`).getAttribute("data-pending").then(Number);
		await page.getByTestId(`network-${POLE}`).click();
		await expect.poll(() => page.getByTestId(`network-state-${POLE}`).textContent(), { timeout: 10_000 }).toBe("down");
		// Two 5 s windows (AirQuality, CrowdFlow, TrafficFlow each) pile up while the link is down.
		await expect.poll(pending, { timeout: 60_000, interval: 500 }).toBeGreaterThanOrEqual(6);
		await page.getByTestId(`network-${POLE}`).click();
		await expect.poll(() => page.getByTestId(`network-state-${POLE}`).textContent(), { timeout: 10_000 }).toBe("up");
		await expect.poll(pending, { timeout: 60_000, interval: 500 }).toBeLessThan(3);
		const ledger = demo.ops.acker.ledgers.get(POLE)!;
		const max = Math.max(...ledger.seqs);
		// Every seq up to the newest stored is there exactly once: the outbox caught up without a gap.
		expect(ledger.seqs.size).toBe(max);
		const seqs = demo.ops.acker.records.filter((r) => r.device === POLE).map((r) => r.seq);
		expect(new Set(seqs).size).toBe(seqs.length);
	}, 150_000);

	it("restart broker: every device reconnects", async () => {
		const connects = (id: string) => lines.filter((l) => l.startsWith(`[${id}]`) && l.includes("mqtt: connected")).length;
		const ids = ["sign-fish-market", "sign-station", "pole-main-st-01", "pole-main-st-02"];
		const before = new Map(ids.map((id) => [id, connects(id)]));
		const stored = demo.ops.acker.stats.records;
		await page.getByTestId("restart-broker").click();
		await expect.poll(() => page.getByTestId("broker-note").textContent(), { timeout: 20_000 }).toMatch(/^restarted at /);
		await until(() => ids.every((id) => connects(id) > before.get(id)!), "every device to reconnect after the broker restart", 60_000);
		await until(async () => ((await json("/demo/devices")).body as { connected: boolean }[]).every((d) => d.connected), "every device connected", 30_000);
		// The acker reconnected too: the poles' new windows are stored (and acked) again.
		await until(() => demo.ops.acker.stats.records > stored, "records stored after the restart", 60_000);
	}, 120_000);

	it("the API answers bad requests with JSON errors", async () => {
		const unknown = await json("/demo/signs/nope/state");
		expect(unknown.status).toBe(404);
		expect(unknown.body.error).toBe('no stop-sign "nope" in the street');
		expect((await json(`/demo/signs/${POLE}/panel.png`)).status).toBe(404);
		expect((await json("/demo/nothing")).body).toEqual({ error: "no such path: /demo/nothing" });
		const wrong = await json(`/demo/signs/${SIGN}/press`);
		expect(wrong.status).toBe(405);
		expect(wrong.headers.get("allow")).toBe("POST");
		const bad = await json(`/demo/devices/${POLE}/network`, { method: "POST", body: "{up:" });
		expect(bad).toMatchObject({ status: 400, body: { error: "body is not JSON" } });
		const missing = await json(`/demo/devices/${POLE}/network`, { method: "POST", body: JSON.stringify({ up: "yes" }) });
		expect(missing).toMatchObject({ status: 400, body: { error: 'expected a JSON body {"up": true|false}' } });
		expect((await json(`/demo/poles/${POLE}/series?max=0`)).status).toBe(400);
		expect((await json("/demo/signs/%E0%A4%A/state")).status).toBe(400);
		// The refused requests changed nothing: the pole's network is still up.
		const pole = ((await json("/demo/devices")).body as { id: string; network: string }[]).find((d) => d.id === POLE)!;
		expect(pole.network).toBe("up");
	}, 30_000);

	it("with an external broker the restart button is disabled and says why; the API refuses with 409", async () => {
		const reason = "external broker mqtt://192.0.2.1:1883: restart it where it runs";
		const server = await startDemoServer(
			{
				devices: [],
				registry: { devices: new Map() },
				records: () => [],
				log: new DeviceLog(),
				broker: { url: "mqtt://192.0.2.1:1883", embedded: false, restartable: false, reason },
				boards: "schedule only",
				restartBroker: () => Promise.reject(new Error("must not be called")),
			},
			0,
		);
		try {
			const other = await browser.newPage();
			await other.goto(server.url);
			await expect.poll(() => other.getByTestId("broker-note").textContent(), { timeout: 10_000 }).toBe(reason);
			expect(await other.getByTestId("restart-broker").isDisabled()).toBe(true);
			await other.close();
			const res = await fetch(new URL("/demo/broker/restart", server.url), { method: "POST" });
			expect(res.status).toBe(409);
			expect(await res.json()).toEqual({ error: reason });
		} finally {
			await server.close();
		}
	}, 30_000);
});
