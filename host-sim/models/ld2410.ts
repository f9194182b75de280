/*
 * Hi-Link HLK-LD2410 24 GHz FMCW human-presence radar, modelled at the UART
 * (256000 baud 8N1).
 * Protocol: Hi-Link "HLK-LD2410 Serial communication protocol" V1.02
 * (2022-07-01; V1.04 for the LD2410B is the same for everything below),
 * https://www.hlktech.net/index.php?id=1095 (product page, protocol PDF).
 *
 * What the model does, by protocol section:
 *   §1.2.2         9 distance gates of 0.75 m: the farthest gate (8) ends at
 *                  6 m. A target beyond the configured farthest gate is not
 *                  detected (not reported);
 *   §2.1.1         command frames FD FC FB FA | length LE16 | command word
 *                  LE16 | value | 04 03 02 01; the ACK carries the command
 *                  word | 0x0100 and a LE16 status (0 success, 1 failure)
 *                  before its return value;
 *   §2.2.1         enable configuration 0x00FF, value 0x0001; ACK returns
 *                  protocol version 0x0001 and buffer size 0x0040;
 *   §2.2.2         end configuration 0x00FE;
 *   §2.2.3         maximum distance gates and unmanned duration 0x0060:
 *                  words 0x0000 (moving gate, 2 ..= 8), 0x0001 (stationary
 *                  gate, 2 ..= 8), 0x0002 (duration, 0 ..= 65535 s), each
 *                  followed by a LE32 value; out of range: status 1;
 *   §2.2.8         read firmware version 0x00A0: ACK returns firmware type
 *                  LE16, minor, major, build LE32 (shown as V1.07.22091615);
 *   §2.3.1/§2.3.2  report frames F4 F3 F2 F1 | length LE16 | type (0x02
 *                  basic) | 0xAA | target state, moving cm LE16, moving
 *                  energy, stationary cm LE16, stationary energy, detection
 *                  cm LE16 | 0x55 | 0x00 | F8 F7 F6 F5: 23 bytes per frame;
 *   §2.4           commands other than "enable configuration" are taken only
 *                  in configuration mode, and the radar stops reporting while
 *                  in it (observed on the part; the flow chart only shows the
 *                  enable → commands → end sequence).
 * Malformed command frames (bad length, footer, value) are ignored, as are
 * commands outside configuration mode; an unknown command word inside it is
 * ACKed with status 1.
 *
 * Modelling choices the protocol does not fix: one report every `periodMs`
 * (100 ms); ACKs `ackDelayMs` (10 ms) after the command ends; the detection
 * distance is the nearer reported target's distance (0 with nobody); the
 * energies carry ±`noise` of jitter while a target is there, as real returns
 * do. Not modelled: engineering mode (0x0062/0x0063, per-gate energies),
 * gate sensitivities, baud/factory/restart commands, the unmanned-duration
 * hold (the scenario is taken as what the radar reports, after its hold),
 * the OUT pin and Bluetooth.
 *
 * Faults (`fault`): "silent" the part is dead or unplugged, nothing at all;
 * "garbage" every frame it sends comes out as random bytes; "truncated"
 * every frame is cut short after the length field; "bad-footer" the last
 * footer byte is wrong; "stuck" the detector freezes: every report repeats
 * the first report sent after the fault was set (ACKs still work).
 */
import type { SerialLine, SerialModel } from "../io/models";
import { xorshift32 } from "./xorshift";

export type LD2410Fault = "silent" | "garbage" | "truncated" | "bad-footer" | "stuck" | undefined;

/** One detected target: distance (cm) and return energy (0 ..= 100). */
export interface LD2410Target {
	cm: number;
	energy: number;
}

/** What the radar sees at one moment; undefined or `{}` is nobody. */
export interface PresenceScene {
	moving?: LD2410Target;
	stationary?: LD2410Target;
}

/** The scene as a function of board time (ms since boot). */
export type PresenceScenario = (ticksMs: number) => PresenceScene | undefined;

/** The device's fixed UART rate, §1.1 (factory default 256000 8N1). */
export const LD2410_BAUD = 256_000;

/** Command words, §2.2. */
export const LD2410_COMMAND = Object.freeze({
	enableConfiguration: 0x00ff,
	endConfiguration: 0x00fe,
	maxGatesAndDuration: 0x0060,
	readFirmwareVersion: 0x00a0,
} as const);

/** Frame delimiters, §2.1.1 (commands/ACKs) and §2.3.1 (reports). */
export const LD2410_FRAME = Object.freeze({
	commandHeader: Object.freeze([0xfd, 0xfc, 0xfb, 0xfa] as const),
	commandFooter: Object.freeze([0x04, 0x03, 0x02, 0x01] as const),
	reportHeader: Object.freeze([0xf4, 0xf3, 0xf2, 0xf1] as const),
	reportFooter: Object.freeze([0xf8, 0xf7, 0xf6, 0xf5] as const),
});

/** One gate is 0.75 m at the default resolution (§1.2.2). */
export const LD2410_GATE_CM = 75;

/** The fields of a basic report frame (§2.3.2), raw. */
export interface LD2410RawReport {
	/** 0 none, 1 moving, 2 stationary, 3 both */
	state: number;
	movingCm: number;
	movingEnergy: number;
	stationaryCm: number;
	stationaryEnergy: number;
	detectionCm: number;
}

/** A basic report frame, §2.3.1: 23 bytes. Values are written as given (8/16 bits). */
export function ld2410ReportFrame(r: LD2410RawReport): Uint8Array {
	const out = new Uint8Array(23);
	out.set(LD2410_FRAME.reportHeader, 0);
	out[4] = 13; // type, head, 9 target bytes, tail, check
	out[5] = 0;
	out[6] = 0x02;
	out[7] = 0xaa;
	out[8] = r.state & 0xff;
	le16(out, 9, r.movingCm);
	out[11] = r.movingEnergy & 0xff;
	le16(out, 12, r.stationaryCm);
	out[14] = r.stationaryEnergy & 0xff;
	le16(out, 15, r.detectionCm);
	out[17] = 0x55;
	out[18] = 0x00;
	out.set(LD2410_FRAME.reportFooter, 19);
	return out;
}

/** A command frame, §2.1.1: header, length, command word, value, footer. */
export function ld2410CommandFrame(command: number, value: ArrayLike<number> = []): Uint8Array {
	return commandLike(command, value);
}

/** An ACK frame, §2.1.1: command | 0x0100, status, return value. */
export function ld2410AckFrame(command: number, status: number, value: ArrayLike<number> = []): Uint8Array {
	const body = new Uint8Array(2 + value.length);
	le16(body, 0, status);
	body.set(Array.from(value), 2);
	return commandLike(command | 0x0100, body);
}

export interface LD2410FirmwareVersion {
	/** firmware type word @default 0x0000 */
	type: number;
	major: number;
	/** shown as two hex digits */
	minor: number;
	/** shown as eight hex digits */
	build: number;
}

export interface LD2410ModelOptions {
	/** @default nobody there */
	scenario?: PresenceScenario;
	/** report interval, ms @default 100 */
	periodMs?: number;
	/** delay from the end of a command to its ACK, ms @default 10 */
	ackDelayMs?: number;
	/** energy jitter, ± units, while a target is seen @default 3 */
	noise?: number;
	/** @default V1.07.22091615 */
	firmware?: Partial<LD2410FirmwareVersion>;
	/** PRNG seed for noise, garbage and truncation @default 1 */
	seed?: number;
}

/** Protocol version and buffer size the enable-configuration ACK returns (§2.2.1). */
const PROTOCOL_VERSION = 0x0001;
const BUFFER_SIZE = 0x0040;
/** Longest command frame the model accepts (its buffer size, §2.2.1). */
const MAX_COMMAND_FRAME = BUFFER_SIZE;

export class LD2410Model implements SerialModel {
	readonly baud = LD2410_BAUD;
	scenario: PresenceScenario;
	fault: LD2410Fault;
	noise: number;
	readonly periodMs: number;
	readonly ackDelayMs: number;
	readonly firmware: LD2410FirmwareVersion;
	/** What happened on the wire, for tests and the dashboard. */
	readonly stats = { reports: 0, acks: 0, commands: [] as number[], ignored: 0, bytesSent: 0 };
	/** Farthest gates and unmanned duration, §2.2.3 (factory defaults 8, 8, 5 s). */
	readonly parameters = { movingGate: 8, stationaryGate: 8, unmannedS: 5 };
	#line: SerialLine | undefined;
	#configuring = false;
	#rx: number[] = [];
	#frozen: Uint8Array | undefined;
	#rng: number;

	constructor(options: LD2410ModelOptions = {}) {
		this.scenario = options.scenario ?? (() => undefined);
		this.periodMs = options.periodMs ?? 100;
		this.ackDelayMs = options.ackDelayMs ?? 10;
		this.noise = options.noise ?? 3;
		this.firmware = { type: 0x0000, major: 1, minor: 0x07, build: 0x22091615, ...options.firmware };
		this.#rng = (options.seed ?? 1) >>> 0 || 1;
	}

	/** True while in configuration mode (§2.4): no reports. */
	get configuring(): boolean {
		return this.#configuring;
	}

	connect(line: SerialLine): void {
		this.#line = line;
		const tick = () => {
			if (!this.#configuring) this.#emit(this.#report(line.ticks()), true);
			line.schedule(this.periodMs, tick);
		};
		line.schedule(this.periodMs, tick);
	}

	/** Puts raw bytes on the wire toward the board, as the part would send them (tests: hand-built frames). */
	send(bytes: ArrayLike<number>): void {
		const data = Uint8Array.from(bytes as ArrayLike<number>);
		this.stats.bytesSent += data.length;
		this.#line?.send(data);
	}

	receive(bytes: Uint8Array, line: SerialLine): void {
		if (this.fault === "silent") return; // dead: hears nothing either
		for (let i = 0; i < bytes.length; i++) this.#rx.push(bytes[i]);
		this.#parse(line);
	}

	/** Scans the receive buffer for command frames; anything malformed is dropped a byte at a time. */
	#parse(line: SerialLine): void {
		const rx = this.#rx;
		const header = LD2410_FRAME.commandHeader;
		const footer = LD2410_FRAME.commandFooter;
		while (rx.length) {
			let match = 0;
			while (match < 4 && match < rx.length && rx[match] === header[match]) match++;
			if (match < 4 && match < rx.length) {
				rx.shift(); // not a header here
				continue;
			}
			if (rx.length < 6) return; // header (or its start) seen; wait for the length
			const length = rx[4] | (rx[5] << 8);
			const total = 10 + length;
			if (length < 2 || total > MAX_COMMAND_FRAME) {
				this.stats.ignored++;
				rx.shift();
				continue;
			}
			if (rx.length < total) return;
			let ok = true;
			for (let k = 0; k < 4; k++) if (rx[6 + length + k] !== footer[k]) ok = false;
			if (!ok) {
				this.stats.ignored++;
				rx.shift();
				continue;
			}
			const frame = rx.splice(0, total);
			this.#command(frame[6] | (frame[7] << 8), frame.slice(8, 6 + length), line);
		}
	}

	#command(command: number, value: number[], line: SerialLine): void {
		this.stats.commands.push(command);
		if (this.stats.commands.length > 64) this.stats.commands.shift();
		const C = LD2410_COMMAND;
		if (command === C.enableConfiguration) {
			if (value.length !== 2 || value[0] !== 0x01 || value[1] !== 0x00) return this.#ignore();
			this.#configuring = true;
			return this.#ack(command, 0, [...word(PROTOCOL_VERSION), ...word(BUFFER_SIZE)], line);
		}
		if (!this.#configuring) return this.#ignore(); // §2.4: only after enable configuration
		switch (command) {
			case C.endConfiguration:
				if (value.length !== 0) return this.#ignore();
				this.#configuring = false;
				return this.#ack(command, 0, [], line);
			case C.readFirmwareVersion: {
				if (value.length !== 0) return this.#ignore();
				const f = this.firmware;
				return this.#ack(command, 0, [...word(f.type), f.minor & 0xff, f.major & 0xff, ...dword(f.build)], line);
			}
			case C.maxGatesAndDuration:
				return this.#ack(command, this.#setParameters(value) ? 0 : 1, [], line);
			default:
				return this.#ack(command, 1, [], line);
		}
	}

	/** §2.2.3: three (word LE16, value LE32) pairs; all or nothing. */
	#setParameters(value: number[]): boolean {
		if (value.length !== 18) return false;
		const next = { ...this.parameters };
		for (let p = 0; p < 3; p++) {
			const at = p * 6;
			const id = value[at] | (value[at + 1] << 8);
			const v = (value[at + 2] | (value[at + 3] << 8) | (value[at + 4] << 16) | (value[at + 5] << 24)) >>> 0;
			if (id === 0 && v >= 2 && v <= 8) next.movingGate = v;
			else if (id === 1 && v >= 2 && v <= 8) next.stationaryGate = v;
			else if (id === 2 && v <= 0xffff) next.unmannedS = v;
			else return false;
		}
		Object.assign(this.parameters, next);
		return true;
	}

	#ignore(): void {
		this.stats.ignored++;
	}

	#ack(command: number, status: number, value: number[], line: SerialLine): void {
		const frame = ld2410AckFrame(command, status, value);
		line.schedule(this.ackDelayMs, () => {
			this.stats.acks++;
			this.#emit(frame, false);
		});
	}

	#report(now: number): Uint8Array {
		if (this.fault === "stuck" && this.#frozen) return this.#frozen;
		const scene = this.scenario(now) ?? {};
		const p = this.parameters;
		const moving = this.#seen(scene.moving, p.movingGate);
		const stationary = this.#seen(scene.stationary, p.stationaryGate);
		const nearestCm = Math.min(moving?.cm ?? Infinity, stationary?.cm ?? Infinity);
		const frame = ld2410ReportFrame({
			state: (moving ? 1 : 0) | (stationary ? 2 : 0),
			movingCm: moving?.cm ?? 0,
			movingEnergy: moving?.energy ?? 0,
			stationaryCm: stationary?.cm ?? 0,
			stationaryEnergy: stationary?.energy ?? 0,
			detectionCm: nearestCm === Infinity ? 0 : nearestCm,
		});
		this.#frozen = this.fault === "stuck" ? frame : undefined;
		return frame;
	}

	/** The target as reported: within the farthest gate, energy jittered and clamped to 0 ..= 100. */
	#seen(target: LD2410Target | undefined, gate: number): LD2410Target | undefined {
		if (!target) return undefined;
		const cm = Math.max(0, Math.round(target.cm));
		if (cm > gate * LD2410_GATE_CM) return undefined;
		const jitter = this.noise ? Math.round((this.#random() / 0xffffffff) * 2 * this.noise - this.noise) : 0;
		const energy = Math.min(100, Math.max(0, Math.round(target.energy) + jitter));
		return { cm, energy };
	}

	/** Sends a frame through the active fault. */
	#emit(frame: Uint8Array, report: boolean): void {
		const line = this.#line;
		if (!line || this.fault === "silent") return;
		let out = frame;
		switch (this.fault) {
			case "garbage":
				out = new Uint8Array(frame.length);
				for (let i = 0; i < out.length; i++) out[i] = this.#random() & 0xff;
				break;
			case "truncated":
				// Header and length intact, cut anywhere before the footer ends.
				out = frame.slice(0, 6 + (this.#random() % (frame.length - 7)));
				break;
			case "bad-footer":
				out = frame.slice();
				out[out.length - 1] ^= 0xff;
				break;
		}
		if (report) this.stats.reports++;
		this.stats.bytesSent += out.length;
		line.send(out);
	}

	/** xorshift32: deterministic on every host. */
	#random(): number {
		return (this.#rng = xorshift32(this.#rng));
	}
}

function commandLike(command: number, value: ArrayLike<number>): Uint8Array {
	const out = new Uint8Array(12 + value.length);
	out.set(LD2410_FRAME.commandHeader, 0);
	le16(out, 4, 2 + value.length);
	le16(out, 6, command);
	out.set(Array.from(value), 8);
	out.set(LD2410_FRAME.commandFooter, 8 + value.length);
	return out;
}

function le16(out: Uint8Array, at: number, v: number): void {
	out[at] = v & 0xff;
	out[at + 1] = (v >> 8) & 0xff;
}

function word(v: number): number[] {
	return [v & 0xff, (v >> 8) & 0xff];
}

function dword(v: number): number[] {
	return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}
