/*
 * The device's OTA state machine (ARCHITECTURE §5; README "Over-the-air
 * updates"):
 *
 *   offer ─check─▶ refused
 *     │ ok
 *     ▼
 *   downloading ──(link loss / reboot: resume at the last persisted,
 *     │             verified sector)──▶ downloading
 *     │ all chunks on flash, read back
 *     ▼
 *   verifying: SHA-256 of flash == manifest, signature re-checked ─▶ failed
 *     │
 *     ▼
 *   applying: otaBoot.setBoot() (esp_ota_set_boot_partition), reboot
 *     │
 *     ▼
 *   trial (pending-verify): health checks ─pass─▶ confirmed (markValid)
 *                                         └fail/deadline/crash─▶ rolled-back
 *
 * Transport: MQTT request/response on the session the device already has
 * (README explains the choice over HTTP range requests). The device asks for
 * a window of chunks by index and writes them strictly in order; a lost,
 * damaged (CRC-32) or short chunk is asked for again, a silent server is
 * asked again after otaReqMs with backoff. Live progress goes to ota/progress
 * (best effort); every terminal result is also an outbox record of kind
 * "ota", kept in flash until the cloud acks it, across rollbacks.
 */
import Flash from "flash";
import otaBoot from "otaBoot";
import restart from "restart";
import Time from "time";
import { decodePayload, encodePayload } from "../contract/codec";
import type { OtaManifest, OtaOffer, OtaState } from "../contract/ota-payloads";
import { OTA_MAX_BATCH } from "../contract/ota-payloads";
import { deviceTopic } from "../contract/topics";
import { crc32 } from "../net/outbox/crc32";
import type { MqttSession } from "../net/session";
import type { Config } from "../runtime/config";
import { describeError } from "../runtime/errors";
import type { TaggedLog } from "../runtime/logger";
import type { Scheduler } from "../runtime/scheduler";
import { FIRMWARE_VERSION, SECURITY_VERSION } from "../version";
import type { SelfTest } from "../apps/app";
import { parsePublicKey } from "./crypto";
import { ImageWriter } from "./image-writer";
import { checkOffer, signatureValid } from "./offer-check";
import { OtaStore, PERSIST_BYTES, PHASE_APPLIED, PHASE_DOWNLOADING } from "./state-store";
import { Trial } from "./trial";

/** Chunks asked for at once: enough to keep the link busy, few enough to re-ask cheaply on a QoS 0 link. */
const WINDOW = 4;
/** The same chunk arriving damaged or short this many times in a row ends the update (the server's copy is bad). */
const BAD_CHUNK_LIMIT = 6;
/** A server that says "paused" is asked again after this long. */
const PAUSED_RETRY_MS = 30_000;
const TRIAL_CHECK_MS = 1_000;

export interface OtaAgentOptions {
	role: string;
	board: string;
	deviceId: string;
	config: Config;
	session: MqttSession;
	scheduler: Scheduler;
	log: TaggedLog;
	/** persists an outbox record; returns its seq */
	record(kind: "ota", data: Record<string, unknown>): number | undefined;
	/** whether the cloud acked outbox record `seq` */
	acked(seq: number): boolean;
	/** the app's self-test; `required` = parts that worked before the update */
	selfTest(required?: readonly string[]): SelfTest;
	/** parts working now (kept at apply time for the trial) */
	workingParts?(): string[];
	/** stops the app and the link before a reboot (orderly: partial windows are saved) */
	beforeRestart(): void;
	/** an update is downloading or applying (the pole's lamp goes to its fail-safe level) */
	onBusy?(busy: boolean): void;
}

interface Active {
	id: string;
	manifest: OtaManifest;
	manifestBytes: Uint8Array;
	sig: Uint8Array;
	writer: ImageWriter;
	/** consecutive bad arrivals of the next chunk */
	bad: number;
	/** consecutive request timeouts */
	timeouts: number;
	/** last progress percent published */
	shown: number;
	/** first chunk index after the window asked for last */
	windowEnd: number;
	paused: boolean;
}

export class OtaAgent {
	/** this boot started as the trial of a new image (the boot-loop guard reads it) */
	readonly trial: boolean;
	/** the trial is still running: offers wait until it ends */
	#inTrial = false;
	readonly stats = { offers: 0, refused: 0, chunks: 0, badChunks: 0, requests: 0, timeouts: 0, resumedAt: 0 };
	#o: OtaAgentOptions;
	#key: Uint8Array | undefined;
	#topics: { offer: string; chunk: string; req: string; progress: string };
	#active: Active | undefined;
	#state: OtaState | "idle" = "idle";
	#trial: Trial | undefined;
	#trialSeq: number | undefined;
	#pendingOffer: OtaOffer | undefined;

	constructor(o: OtaAgentOptions) {
		this.#o = o;
		this.#topics = {
			offer: deviceTopic(o.deviceId, "ota/offer"),
			chunk: deviceTopic(o.deviceId, "ota/chunk"),
			req: deviceTopic(o.deviceId, "ota/req"),
			progress: deviceTopic(o.deviceId, "ota/progress"),
		};
		const hex = o.config.get("otaPubKey");
		try {
			this.#key = hex ? parsePublicKey(hex) : undefined;
		} catch (e) {
			o.log.error(`OTA key unusable, every offer will be refused: ${describeError(e)}`);
		}
		let running: { label: string; state: string };
		try {
			running = otaBoot.running();
		} catch (e) {
			o.log.error(`boot state unavailable: ${describeError(e)}`);
			running = { label: "?", state: "undefined" };
		}
		this.trial = this.#inTrial = running.state === "pending-verify";
		o.log.info(`running ${FIRMWARE_VERSION} (security ${SECURITY_VERSION}) from ${running.label}, ${running.state}${this.#key ? "" : "; no OTA key: updates refused"}`);
	}

	get state(): OtaState | "idle" {
		return this.#state;
	}

	/** Subscribes, and picks up whatever a previous boot left: a trial, a rollback, a download. */
	start(): void {
		const o = this.#o;
		o.session.subscribe(this.#topics.offer);
		o.session.subscribe(this.#topics.chunk);
		const phase = OtaStore.phase();
		if (this.trial) this.#startTrial();
		else if (phase === PHASE_APPLIED) this.#rolledBack();
		else if (phase === PHASE_DOWNLOADING) this.#resume();
	}

	stop(): void {
		this.#o.scheduler.cancel("ota-req");
		this.#o.scheduler.cancel("ota-trial");
	}

	/** @returns false when the topic is not an OTA topic of this device */
	route(topic: string, payload: Uint8Array): boolean {
		if (topic === this.#topics.offer) this.#onOffer(payload);
		else if (topic === this.#topics.chunk) this.#onChunk(payload);
		else return false;
		return true;
	}

	onUp(): void {
		if (this.#active && !this.#active.paused) this.#request();
	}

	onDown(): void {
		this.#o.scheduler.cancel("ota-req");
	}

	// ---- offer ----

	#onOffer(payload: Uint8Array): void {
		const o = this.#o;
		if (payload.byteLength === 0) {
			// Withdrawn (campaign paused or aborted): stop asking, keep what is on flash for a resume.
			if (this.#active) {
				o.log.info(`offer ${this.#active.id} withdrawn; download paused at ${this.#active.writer.written} bytes`);
				o.scheduler.cancel("ota-req");
				this.#active.paused = true;
			}
			return;
		}
		let offer: OtaOffer;
		try {
			offer = decodePayload("ota/offer", payload);
		} catch (e) {
			o.log.warn(`offer ignored: ${describeError(e)}`);
			return;
		}
		this.stats.offers++;
		if (this.#inTrial || this.#state === "applying") {
			this.#pendingOffer = offer;
			return;
		}
		if (this.#active?.id === offer.id) {
			if (this.#active.paused) {
				this.#active.paused = false;
				o.log.info(`offer ${offer.id} back: resuming at chunk ${this.#active.writer.nextChunk}`);
				this.#request();
			}
			return;
		}
		if (offer.id === OtaStore.lastHandled()) return; // retained offer already answered
		const verdict = checkOffer(offer, this.#key, {
			role: o.role,
			board: o.board,
			fw: FIRMWARE_VERSION,
			sec: SECURITY_VERSION,
			minSec: OtaStore.minSec(),
			slotBytes: this.#slotBytes(),
		});
		if (!verdict.ok) {
			this.stats.refused++;
			this.#result(offer.id, "refused", verdict.reason, verdict.manifest?.version);
			if (!this.#active) OtaStore.finish(offer.id);
			return;
		}
		if (this.#active) {
			o.log.warn(`offer ${offer.id} supersedes ${this.#active.id}`);
			this.#result(this.#active.id, "failed", `superseded by offer ${offer.id}`, this.#active.manifest.version);
		}
		this.#begin(offer, verdict.manifest);
	}

	#slotBytes(): number {
		try {
			return new Flash("nextota").byteLength;
		} catch {
			return 0;
		}
	}

	#begin(offer: OtaOffer, manifest: OtaManifest): void {
		const o = this.#o;
		let slot: string;
		let writer: ImageWriter;
		try {
			slot = otaBoot.next();
			OtaStore.begin({ id: offer.id, manifest: offer.manifest, sig: offer.sig, slot });
			writer = new ImageWriter({ size: manifest.size, chunk: manifest.chunk, done: 0 });
		} catch (e) {
			this.#result(offer.id, "failed", `cannot start: ${describeError(e)}`, manifest.version);
			OtaStore.finish(offer.id);
			return;
		}
		o.log.info(`offer ${offer.id}: ${manifest.version} (security ${manifest.sec}, ${manifest.size} bytes in ${writer.chunks} chunks) → ${slot}`);
		this.#downloadWith({ id: offer.id, manifest, manifestBytes: offer.manifest, sig: offer.sig, writer, bad: 0, timeouts: 0, shown: -1, windowEnd: 0, paused: false });
	}

	/** After a reboot mid-download: re-check what NVS holds and continue from the last persisted sector. */
	#resume(): void {
		const o = this.#o;
		const d = OtaStore.download();
		if (!d) {
			OtaStore.finish(undefined);
			return;
		}
		const fail = (why: string) => {
			this.#result(d.id, "failed", why);
			OtaStore.finish(d.id);
		};
		if (!signatureValid(this.#key, d.manifest, d.sig)) return fail("stored offer no longer verifies (key changed or NVS damaged)");
		let manifest: OtaManifest;
		let writer: ImageWriter;
		try {
			manifest = decodePayload("ota-manifest", d.manifest);
			if (otaBoot.next() !== d.slot) return fail(`update partition changed from ${d.slot} to ${otaBoot.next()}`);
			writer = new ImageWriter({ size: manifest.size, chunk: manifest.chunk, done: d.done });
		} catch (e) {
			return fail(`cannot resume: ${describeError(e)}`);
		}
		this.stats.resumedAt = writer.written;
		o.log.info(`resuming ${d.id} (${manifest.version}) at chunk ${writer.nextChunk} of ${writer.chunks} (${writer.written} bytes re-verified on flash)`);
		this.#downloadWith({ id: d.id, manifest, manifestBytes: d.manifest, sig: d.sig, writer, bad: 0, timeouts: 0, shown: -1, windowEnd: 0, paused: false });
	}

	// ---- download ----

	#downloadWith(a: Active): void {
		this.#active = a;
		this.#state = "downloading";
		this.#o.onBusy?.(true);
		this.#progress(true);
		if (a.writer.written === a.writer.size) this.#verify();
		else this.#request();
	}

	#request(): void {
		const a = this.#active;
		const o = this.#o;
		if (!a || a.paused || this.#state !== "downloading") return;
		o.scheduler.cancel("ota-req");
		if (!o.session.connected) return; // onUp() asks again
		const i = a.writer.nextChunk;
		const n = Math.min(WINDOW, OTA_MAX_BATCH, a.writer.chunks - i);
		this.stats.requests++;
		a.windowEnd = i + n;
		o.session.publish(this.#topics.req, encodePayload("ota/req", { v: 1, id: a.id, i, n }));
		// Backoff on a silent server: otaReqMs, ×2 per timeout, at most ×8.
		const wait = o.config.get("otaReqMs") * Math.min(8, 1 << Math.min(a.timeouts, 3));
		o.scheduler.after("ota-req", wait, () => {
			a.timeouts++;
			this.stats.timeouts++;
			o.log.debug(`chunk ${a.writer.nextChunk} not received in ${wait} ms; asking again`);
			this.#request();
		});
	}

	#onChunk(payload: Uint8Array): void {
		const a = this.#active;
		const o = this.#o;
		if (!a || this.#state !== "downloading") return;
		let c;
		try {
			c = decodePayload("ota/chunk", payload);
		} catch (e) {
			this.stats.badChunks++;
			o.log.warn(`chunk ignored: ${describeError(e)}`);
			return;
		}
		if (c.id !== a.id) return;
		if (c.err) {
			o.scheduler.cancel("ota-req");
			if (c.err === "paused") {
				o.log.info(`server paused offer ${a.id}; asking again in ${PAUSED_RETRY_MS / 1000} s`);
				o.scheduler.after("ota-req", PAUSED_RETRY_MS, () => this.#request());
			} else if (c.err === "unknown-offer") {
				o.log.warn(`server no longer has offer ${a.id}; waiting for a new offer (${a.writer.written} bytes kept)`);
				a.paused = true;
			} else this.#fail(`server refused chunk ${c.i}: ${c.err} (the image on the server is shorter than its manifest)`);
			return;
		}
		const next = a.writer.nextChunk;
		if (c.i !== next) return; // duplicate or out of order: the window is asked for again in order
		const data = c.data!;
		const expected = a.writer.expectedLength(next);
		let problem: string | undefined;
		if (crc32(data) !== c.crc) problem = `chunk ${next} damaged in transit (CRC-32 mismatch)`;
		else if (data.byteLength !== expected) problem = `chunk ${next} has ${data.byteLength} bytes, expected ${expected}`;
		if (!problem) {
			try {
				a.writer.write(next, data);
			} catch (e) {
				problem = `chunk ${next} not written: ${describeError(e)}`;
			}
		}
		if (problem) {
			this.stats.badChunks++;
			a.bad++;
			o.log.warn(problem);
			if (a.bad >= BAD_CHUNK_LIMIT) this.#fail(`${problem}, ${a.bad} times in a row`);
			else this.#request();
			return;
		}
		this.stats.chunks++;
		a.bad = 0;
		a.timeouts = 0;
		const written = a.writer.written;
		if (written === a.writer.size || written % PERSIST_BYTES === 0) OtaStore.setDone(written);
		this.#progress(false);
		if (written === a.writer.size) {
			o.scheduler.cancel("ota-req");
			this.#verify();
		} else if (a.writer.nextChunk >= a.windowEnd) this.#request();
	}

	// ---- verify and apply ----

	#verify(): void {
		const a = this.#active!;
		this.#state = "verifying";
		this.#progress(true);
		let hash: Uint8Array;
		try {
			hash = a.writer.finish();
		} catch (e) {
			return this.#fail(describeError(e));
		}
		if (!sameBytes(hash, a.manifest.sha256)) return this.#fail("image SHA-256 does not match the signed manifest (damaged or substituted image)");
		if (!signatureValid(this.#key, a.manifestBytes, a.sig)) return this.#fail("signature no longer verifies");
		this.#apply();
	}

	#apply(): void {
		const a = this.#active!;
		const o = this.#o;
		this.#state = "applying";
		this.#result(a.id, "applying", undefined, a.manifest.version);
		OtaStore.setParts(o.workingParts?.());
		OtaStore.applied(FIRMWARE_VERSION, a.manifest.version);
		OtaStore.setSafe(false);
		try {
			otaBoot.setBoot();
		} catch (e) {
			return this.#fail(`boot switch refused: ${describeError(e)}`);
		}
		o.log.info(`${a.manifest.version} verified and set to boot; restarting for its trial`);
		o.scheduler.after("ota-restart", 1_500, () => {
			o.beforeRestart();
			restart("ota apply");
		});
	}

	#fail(reason: string): void {
		const a = this.#active;
		this.#o.scheduler.cancel("ota-req");
		if (a) {
			this.#result(a.id, "failed", reason, a.manifest.version);
			OtaStore.finish(a.id);
		}
		this.#active = undefined;
		this.#state = "idle";
		this.#o.onBusy?.(false);
	}

	// ---- trial ----

	#startTrial(): void {
		const o = this.#o;
		const d = OtaStore.download();
		const id = d?.id ?? "-";
		this.#state = "trial";
		this.#trialSeq = o.record("ota", { id, state: "trial", fw: FIRMWARE_VERSION });
		const deadline = o.config.get("otaTrialMs");
		const required = OtaStore.parts();
		o.log.info(`trial boot of ${FIRMWARE_VERSION}: confirming when health checks pass, else rolling back after ${Math.round(deadline / 1000)} s`);
		this.#trial = new Trial({
			deadlineMs: deadline,
			ticks: () => Time.ticks,
			selfTest: () => o.selfTest(required),
			roundTrip: () => this.#trialSeq !== undefined && o.acked(this.#trialSeq),
		});
		o.scheduler.every("ota-trial", TRIAL_CHECK_MS, () => this.#checkTrial(id));
	}

	#checkTrial(id: string): void {
		const o = this.#o;
		const verdict = this.#trial!.check();
		if (verdict.state === "pending") return;
		o.scheduler.cancel("ota-trial");
		if (verdict.state === "pass") {
			this.#inTrial = false; // a failed trial stays one until the rollback reboot: no offer is taken meanwhile
			try {
				otaBoot.markValid();
			} catch (e) {
				o.log.error(`could not mark the image valid: ${describeError(e)}`);
				return;
			}
			OtaStore.raiseMinSec(SECURITY_VERSION);
			OtaStore.setSafe(false);
			this.#result(id, "confirmed", verdict.detail);
			OtaStore.finish(id);
			this.#trial = undefined;
			this.#state = "idle";
			const pending = this.#pendingOffer;
			this.#pendingOffer = undefined;
			if (pending) this.#onOffer(encodePayload("ota/offer", pending));
			return;
		}
		const from = OtaStore.versions().from;
		this.#result(id, "rolled-back", verdict.detail, FIRMWARE_VERSION, from);
		OtaStore.finish(id);
		if (!otaBoot.canRollback()) {
			o.log.error("no previous image to roll back to: keeping this one");
			otaBoot.markValid();
			return;
		}
		o.log.error(`rolling back to ${from ?? "the previous image"}: ${verdict.detail}`);
		o.scheduler.after("ota-restart", 1_000, () => {
			o.beforeRestart();
			otaBoot.rollback();
		});
	}

	/** Booted the old image with an update applied: its trial never confirmed. */
	#rolledBack(): void {
		const d = OtaStore.download();
		const { to } = OtaStore.versions();
		const why = OtaStore.rollbackReason() ?? "the new image did not confirm: it reset or crashed during its trial boot, or power failed during the switch";
		this.#result(d?.id ?? "-", "rolled-back", why, to);
		OtaStore.finish(d?.id);
	}

	// ---- reporting ----

	#progress(force: boolean): void {
		const a = this.#active;
		if (!a) return;
		const got = a.writer.nextChunk;
		const of = a.writer.chunks;
		const pct = Math.floor((got * 100) / of);
		// Every 5 %, so a 1.5 MB image costs ~20 small messages.
		if (!force && Math.floor(pct / 5) === Math.floor(a.shown / 5)) return;
		a.shown = pct;
		this.#publishProgress({ v: 1, id: a.id, state: this.#state as OtaState, got, of, fw: FIRMWARE_VERSION, to: a.manifest.version });
	}

	#publishProgress(p: { v: number; id: string; state: OtaState; got?: number; of?: number; fw: string; to?: string; reason?: string }): void {
		try {
			this.#o.session.publish(this.#topics.progress, encodePayload("ota/progress", p));
		} catch (e) {
			this.#o.log.warn(`progress not sent: ${describeError(e)}`);
		}
	}

	/** A result that matters: an outbox record (kept until acked) and a live progress message. */
	#result(id: string, state: OtaState, reason?: string, to?: string, fw = FIRMWARE_VERSION): void {
		const o = this.#o;
		const r = reason && reason.length > 160 ? reason.slice(0, 157) + "..." : reason;
		(state === "refused" || state === "failed" || state === "rolled-back" ? o.log.warn : o.log.info).call(o.log, `ota ${id}: ${state}${to ? ` ${to}` : ""}${r ? `: ${r}` : ""}`);
		o.record("ota", { id, state, fw, to, reason: r });
		this.#publishProgress({ v: 1, id, state, fw, to, reason: r });
	}
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
	if (a.byteLength !== b.byteLength) return false;
	let diff = 0;
	for (let i = 0; i < a.byteLength; i++) diff |= a[i] ^ b[i];
	return diff === 0;
}
