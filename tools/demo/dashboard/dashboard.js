/*
 * Curbside demo dashboard: polls the demo server's JSON API every 2 s
 * (tools/demo/server.ts) and draws the street. Plain browser JS, no
 * libraries: the plots are hand-made SVG paths. Text from devices is only
 * ever set as textContent.
 *
 * data-testids: card-<id>, status-<id>, fw-<id>, outbox-<id>, health-<id>, network-state-<id>, network-<id> (button),
 * panel-<id> (img), source-<id>, refreshes-<id>, press-<id> (button), tts-<id>, log-<id>,
 * plot-<id>-<series> (svg), path-<id>-<series>, value-<id>-<series>, restart-broker, broker-note.
 */
"use strict";

const POLL_MS = 2_000;
const SERIES = [
	["temperature", "Temperature"],
	["pm25", "PM2.5"],
	["people", "People"],
	["vehicles", "Vehicles"],
];
const PLOT_W = 260;
const PLOT_H = 64;
const SVG_NS = "http://www.w3.org/2000/svg";

/** @type {Map<string, {refreshes: number, cardBuilt: boolean}>} */
const seen = new Map();

function el(tag, attrs = {}, text) {
	const e = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
	if (text !== undefined) e.textContent = text;
	return e;
}

function byTestId(id) {
	return document.querySelector(`[data-testid="${CSS.escape(id)}"]`);
}

async function api(path, init) {
	const res = await fetch(path, init);
	const body = await res.json().catch(() => ({ error: `HTTP ${res.status}` }));
	if (!res.ok) throw new Error(body.error || `HTTP ${res.status}`);
	return body;
}

function post(path, body) {
	return api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
}

function ago(ms) {
	if (!ms) return "never";
	const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
	return s < 60 ? `${s} s ago` : `${Math.floor(s / 60)} min ago`;
}

function healthText(h) {
	if (!h) return "no health record yet";
	const parts = [`up ${h.uptimeS} s`, `${h.connects} connect(s)`, `reset ${h.resetReason}`];
	if (h.outboxPending !== undefined) parts.push(`outbox ${h.outboxPending} pending`);
	if (h.outboxLost) parts.push(`${h.outboxLost} lost`);
	if (h.parts) {
		const failed = Object.entries(h.parts).filter(([, s]) => s === "failed").map(([p]) => p);
		parts.push(failed.length ? `failed: ${failed.join(", ")}` : "parts ok");
	}
	return parts.join(" · ");
}

/** The card of one device: status lines and the network button; signs and poles add their own body. */
function buildCard(d) {
	const card = el("article", { class: "card", "data-testid": `card-${d.id}` });
	const head = el("h3", {}, d.id);
	head.append(el("span", { class: "sub" }, ` ${d.role} on ${d.board}`));
	card.append(head);
	const facts = el("dl", { class: "facts" });
	for (const [key, label] of [
		["status", "status"],
		["fw", "firmware"],
		["network-state", "network"],
		["outbox", "outbox"],
		["health", "health"],
		["seen", "last seen"],
	]) {
		facts.append(el("dt", {}, label), el("dd", { "data-testid": `${key}-${d.id}` }, "…"));
	}
	card.append(facts);
	const buttons = el("div", { class: "buttons" });
	const net = el("button", { type: "button", "data-testid": `network-${d.id}` }, "Cut network");
	net.addEventListener("click", async () => {
		const up = net.dataset.up !== "true";
		net.disabled = true;
		try {
			await post(`/demo/devices/${encodeURIComponent(d.id)}/network`, { up });
			await refresh();
		} catch (e) {
			showError(e);
		} finally {
			net.disabled = false;
		}
	});
	buttons.append(net);
	card.append(buttons);
	if (d.role === "stop-sign") buildSign(card, buttons, d);
	else if (d.role === "light-pole") buildPole(card, d);
	return card;
}

function buildSign(card, buttons, d) {
	const press = el("button", { type: "button", "data-testid": `press-${d.id}` }, "Press audio button");
	const tts = el("div", { class: "tts", "data-testid": `tts-${d.id}` });
	press.addEventListener("click", async () => {
		press.disabled = true;
		tts.textContent = "…";
		try {
			const r = await post(`/demo/signs/${encodeURIComponent(d.id)}/press`);
			tts.textContent = r.tts.length ? r.tts.join("\n") : "(no read-out)";
		} catch (e) {
			tts.textContent = `press failed: ${e.message}`;
		} finally {
			press.disabled = false;
		}
	});
	buttons.append(press);
	const w = d.panel ? d.panel.width : 0;
	const h = d.panel ? d.panel.height : 0;
	const img = el("img", { class: "panel", alt: `${d.id} panel`, "data-testid": `panel-${d.id}`, width: String(w || 400), height: String(h || 240) });
	card.append(img, el("div", { class: "source", "data-testid": `source-${d.id}` }, "screen: …"), el("div", { class: "note", "data-testid": `refreshes-${d.id}` }), tts, el("pre", { class: "log", "data-testid": `log-${d.id}` }));
}

function buildPole(card, d) {
	const plots = el("div", { class: "plots" });
	for (const [name, label] of SERIES) {
		const box = el("figure", { class: "plot" });
		const svg = document.createElementNS(SVG_NS, "svg");
		svg.setAttribute("viewBox", `0 0 ${PLOT_W} ${PLOT_H}`);
		svg.setAttribute("data-testid", `plot-${d.id}-${name}`);
		svg.setAttribute("role", "img");
		svg.setAttribute("aria-label", `${label} at ${d.id}`);
		const path = document.createElementNS(SVG_NS, "path");
		path.setAttribute("data-testid", `path-${d.id}-${name}`);
		path.setAttribute("d", "");
		svg.append(path);
		const cap = el("figcaption");
		cap.append(el("span", {}, label), el("span", { class: "value", "data-testid": `value-${d.id}-${name}` }, "no data yet"));
		box.append(svg, cap);
		plots.append(box);
	}
	card.append(plots);
}

/** An SVG path through the points, scaled to the plot; a single point is a dot. */
function pathOf(points) {
	if (!points.length) return "";
	const t0 = points[0][0];
	const t1 = points[points.length - 1][0];
	let lo = Math.min(...points.map((p) => p[1]));
	let hi = Math.max(...points.map((p) => p[1]));
	if (hi === lo) {
		lo -= 1;
		hi += 1;
	}
	const pad = 4;
	const x = (t) => (t1 === t0 ? PLOT_W / 2 : pad + ((t - t0) / (t1 - t0)) * (PLOT_W - 2 * pad));
	const y = (v) => PLOT_H - pad - ((v - lo) / (hi - lo)) * (PLOT_H - 2 * pad);
	const pts = points.map((p) => `${x(p[0]).toFixed(1)} ${y(p[1]).toFixed(1)}`);
	if (pts.length === 1) return `M ${pts[0]} l 0.1 0`;
	return `M ${pts[0]} ` + pts.slice(1).map((p) => `L ${p}`).join(" ");
}

function fmt(v) {
	return Math.abs(v) >= 100 || Number.isInteger(v) ? String(Math.round(v)) : v.toFixed(1);
}

async function refreshPole(d) {
	const s = await api(`/demo/poles/${encodeURIComponent(d.id)}/series`);
	for (const [name] of SERIES) {
		const pts = s.series[name] || [];
		byTestId(`path-${d.id}-${name}`).setAttribute("d", pathOf(pts));
		const last = pts[pts.length - 1];
		byTestId(`value-${d.id}-${name}`).textContent = last ? `${fmt(last[1])} ${s.units[name]} (${pts.length} windows)` : "no data yet";
	}
}

async function refreshSign(d) {
	const s = await api(`/demo/signs/${encodeURIComponent(d.id)}/state`);
	const src = byTestId(`source-${d.id}`);
	src.textContent = s.source ? `screen: ${s.source}${s.notice ? ` (${s.notice})` : ""}` : "screen: not drawn yet";
	src.dataset.source = s.source || "";
	src.dataset.notice = s.notice || "";
	byTestId(`refreshes-${d.id}`).textContent = `panel refreshes: ${s.full} full, ${s.partial} partial${s.violations ? `, ${s.violations} protocol violation(s)` : ""}`;
	const log = byTestId(`log-${d.id}`);
	log.textContent = s.lastLines.join("\n");
	log.scrollTop = log.scrollHeight;
	const mine = seen.get(d.id);
	// The panel image only changes with a refresh: fetch it again only then (and once at first).
	if (s.refreshes > 0 && mine.refreshes !== s.refreshes) {
		mine.refreshes = s.refreshes;
		const img = byTestId(`panel-${d.id}`);
		img.dataset.refreshes = String(s.refreshes);
		img.src = `/demo/signs/${encodeURIComponent(d.id)}/panel.png?r=${s.refreshes}`;
	}
}

function showError(e) {
	const c = byTestId("connection");
	c.textContent = `error: ${e.message}`;
	c.classList.add("bad");
}

async function refresh() {
	const devices = await api("/demo/devices");
	for (const d of devices) {
		if (!seen.has(d.id)) {
			seen.set(d.id, { refreshes: -1 });
			byTestId(d.role === "stop-sign" ? "signs" : "poles").append(buildCard(d));
		}
		const status = byTestId(`status-${d.id}`);
		status.textContent = `${d.status}${d.connected ? "" : " (link down)"}`;
		status.className = d.online && d.connected ? "good" : "bad";
		byTestId(`fw-${d.id}`).textContent = d.fw ? `${d.fw}${d.bootCount ? `, boot #${d.bootCount}` : ""}` : "—";
		const ns = byTestId(`network-state-${d.id}`);
		ns.textContent = d.network;
		ns.className = d.network === "up" ? "good" : "bad";
		byTestId(`health-${d.id}`).textContent = healthText(d.health);
		const ob = byTestId(`outbox-${d.id}`);
		ob.textContent = d.outbox ? `${d.outbox.pending} record(s) waiting for an ack, next seq ${d.outbox.nextSeq}${d.outbox.dropped ? `, ${d.outbox.dropped} dropped` : ""}` : "—";
		ob.dataset.pending = d.outbox ? String(d.outbox.pending) : "";
		byTestId(`seen-${d.id}`).textContent = ago(d.lastSeen);
		const net = byTestId(`network-${d.id}`);
		net.dataset.up = String(d.network === "up");
		net.textContent = d.network === "up" ? "Cut network" : "Restore network";
	}
	await Promise.all(devices.map((d) => (d.role === "stop-sign" ? refreshSign(d) : d.role === "light-pole" ? refreshPole(d) : undefined)));
	const c = byTestId("connection");
	c.textContent = `updated ${new Date().toLocaleTimeString()}`;
	c.classList.remove("bad");
}

async function start() {
	try {
		const street = await api("/demo/street");
		byTestId("broker-url").textContent = `broker ${street.broker.url}${street.broker.embedded ? " (embedded aedes)" : " (external)"}`;
		byTestId("boards-source").textContent = `departures: ${street.boards}`;
		const restart = byTestId("restart-broker");
		restart.disabled = !street.broker.restartable;
		if (!street.broker.restartable) {
			restart.title = street.broker.reason || "";
			byTestId("broker-note").textContent = street.broker.reason || "";
		}
		restart.addEventListener("click", async () => {
			restart.disabled = true;
			byTestId("broker-note").textContent = "restarting…";
			try {
				await post("/demo/broker/restart");
				byTestId("broker-note").textContent = `restarted at ${new Date().toLocaleTimeString()}: devices reconnect, outboxes catch up`;
			} catch (e) {
				byTestId("broker-note").textContent = `restart failed: ${e.message}`;
			} finally {
				restart.disabled = false;
			}
		});
	} catch (e) {
		showError(e);
	}
	const loop = async () => {
		try {
			await refresh();
		} catch (e) {
			showError(e);
		}
		setTimeout(loop, POLL_MS);
	};
	loop();
}

start();
