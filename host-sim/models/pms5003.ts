/*
 * Plantower PMS5003 laser particle sensor, modelled at the UART (9600 8N1).
 * Datasheet: Plantower "PMS5003 series data manual" V2.3 (2016-06-01),
 * https://www.aqmd.gov/docs/default-source/aq-spec/resources-page/plantower-pms5003-manual_v2-3.pdf
 *
 * What the model does, by datasheet section:
 *   "Output result"        active mode is the power-up default; in active mode
 *                          it sends a frame every `periodMs` (default 1 s). The
 *                          datasheet's two sub-modes (stable: every 2.3 s; fast:
 *                          200–800 ms when the concentration changes a lot) are
 *                          simplified to that one period;
 *   "Circuit Attentions" 4) data are stable ≥ 30 s after wakeup: for `warmupMs`
 *                          after power-up or wakeup the fan is still spinning up,
 *                          and the values come out low (20 → 80 % of the truth)
 *                          and noisy (±25 %), so a driver that keeps them is
 *                          caught;
 *   "Appendix I"           32-byte frames: 0x42 0x4D, length 28, 13 big-endian
 *                          words (PM1.0/2.5/10 at CF=1, PM1.0/2.5/10 atmospheric,
 *                          counts > 0.3/0.5/1.0/2.5/5.0/10 µm per 0.1 L, reserved),
 *                          check code = 16-bit sum of the preceding bytes;
 *   "Appendix II"          host commands 42 4D CMD DATAH DATAL LRCH LRCL with the
 *                          LRC checked (bad ones ignored): 0xE1 00/01 passive/
 *                          active, 0xE2 read in passive mode (answered after
 *                          `answerDelayMs`, only when awake), 0xE4 00/01 sleep/
 *                          wakeup (the fan stops/starts; asleep, nothing is sent
 *                          but commands are still heard).
 * Observed on real units, not in the datasheet: 0xE1 00 and 0xE4 00 are
 * answered with an 8-byte frame of length 4 (42 4D 00 04 CMD DATA sum); the
 * reserved word reads 0x9700 (firmware version 0x97, error code 0).
 * CF=1 equals the atmospheric value up to 30 µg/m³ and grows 1.5× faster
 * above (the shape real units show; Plantower does not publish the formula);
 * particle counts are a plausible function of the masses, cumulative by size.
 * Not modelled: the SET and RESET pins, a wakeup that (on some units) brings
 * the sensor back in active mode, commands missed when sent back to back.
 *
 * Faults (`fault`): "silent" nothing is sent at all (dead or unplugged);
 * "checksum" every frame's check code is off by one bit; "garbage" every frame
 * is replaced by as many random bytes; "stuck" every data frame repeats the
 * first one sent under the fault (valid check code); "truncated" data frames
 * stop after a random 6 … 31 bytes.
 */
import type { SerialLine, SerialModel } from "../io/models";
import { xorshift32 } from "./xorshift";

export type PMS5003Fault = "silent" | "checksum" | "garbage" | "stuck" | "truncated" | undefined;

/** Mass concentrations at the sensor inlet, µg/m³ (atmospheric). */
export interface Particulates {
	pm1: number;
	pm25: number;
	pm10: number;
}

/** The air as a function of board time (ms since boot). */
export type ParticulateScenario = (ticksMs: number) => Particulates;

/** Host commands, Appendix II. */
export const PMS5003_COMMAND = Object.freeze({ mode: 0xe1, read: 0xe2, sleep: 0xe4 } as const);
/** Reserved word (data 13) as real units send it. */
export const PMS5003_RESERVED = 0x9700;

/** 16-bit sum of `bytes`: the frame check code (Appendix I) and the command LRC (Appendix II). */
export function pms5003Checksum(bytes: ArrayLike<number>, length = bytes.length): number {
	let sum = 0;
	for (let i = 0; i < length; i++) sum += bytes[i];
	return sum & 0xffff;
}

/** A host command, Appendix II: 42 4D CMD 00 DATA LRCH LRCL. */
export function pms5003Command(command: number, data: number): Uint8Array {
	const out = Uint8Array.of(0x42, 0x4d, command, 0, data, 0, 0);
	const lrc = pms5003Checksum(out, 5);
	out[5] = lrc >> 8;
	out[6] = lrc & 0xff;
	return out;
}

/** A sensor frame, Appendix I: 42 4D, length 2n + 2, n big-endian words, check code. 13 words make a data frame. */
export function pms5003Frame(words: ArrayLike<number>): Uint8Array {
	const n = words.length;
	const out = new Uint8Array(4 + 2 * n + 2);
	out[0] = 0x42;
	out[1] = 0x4d;
	out[2] = (2 * n + 2) >> 8;
	out[3] = (2 * n + 2) & 0xff;
	for (let k = 0; k < n; k++) {
		out[4 + 2 * k] = (words[k] >> 8) & 0xff;
		out[5 + 2 * k] = words[k] & 0xff;
	}
	const sum = pms5003Checksum(out, out.length - 2);
	out[out.length - 2] = sum >> 8;
	out[out.length - 1] = sum & 0xff;
	return out;
}

export interface PMS5003CommandRecord {
	command: number;
	data: number;
	/** board ticks when the command finished arriving, ms */
	atMs: number;
}

export interface PMS5003ModelOptions {
	/** @default a constant PM1 8, PM2.5 12, PM10 16 µg/m³ */
	scenario?: ParticulateScenario;
	/** relative noise of each mass and count increment (uniform ±) @default 0.03 */
	noise?: number;
	/** active-mode frame period, ms @default 1_000 */
	periodMs?: number;
	/** unstable values after power-up or wakeup, ms @default 30_000 */
	warmupMs?: number;
	/** time from a 0xE2 request to the first byte of its answer, ms @default 10 */
	answerDelayMs?: number;
	/** PRNG seed for noise and garbage @default 1 */
	seed?: number;
}

export class PMS5003Model implements SerialModel {
	/** The part talks 9600 8N1 only (Appendix I). */
	readonly baud = 9600;
	scenario: ParticulateScenario;
	noise: number;
	periodMs: number;
	warmupMs: number;
	answerDelayMs: number;
	#fault: PMS5003Fault;
	/** What happened on the wire, for tests and the dashboard. */
	readonly stats = {
		/** the last 256 bytes received, oldest first */
		rx: [] as number[],
		/** commands with a good LRC, the last 64 */
		commands: [] as PMS5003CommandRecord[],
		/** 7-byte commands dropped for a bad LRC */
		badCommands: 0,
		/** received bytes that could not start a command */
		noiseBytes: 0,
		dataFrames: 0,
		acks: 0,
		requests: 0,
		wakeups: 0,
		sleeps: 0,
		powerUps: 0,
	};
	#line: SerialLine | undefined;
	#awake = false;
	#mode: "active" | "passive" = "active";
	#wokeAt = 0;
	#timer: number | undefined;
	#cmd = new Uint8Array(7);
	#cmdLength = 0;
	#frozen: Uint8Array | undefined;
	#rng: number;

	constructor(options: PMS5003ModelOptions = {}) {
		this.scenario = options.scenario ?? (() => ({ pm1: 8, pm25: 12, pm10: 16 }));
		this.noise = options.noise ?? 0.03;
		this.periodMs = options.periodMs ?? 1_000;
		this.warmupMs = options.warmupMs ?? 30_000;
		this.answerDelayMs = options.answerDelayMs ?? 10;
		this.#rng = (options.seed ?? 1) >>> 0 || 1;
	}

	get fault(): PMS5003Fault {
		return this.#fault;
	}
	set fault(value: PMS5003Fault) {
		this.#fault = value;
		this.#frozen = undefined;
	}

	/** The fan runs whenever the sensor is awake. */
	get fan(): boolean {
		return this.#awake;
	}
	get mode(): "active" | "passive" {
		return this.#mode;
	}
	/** Still inside the unstable period after power-up or wakeup. */
	get warmingUp(): boolean {
		return this.#awake && this.#now() - this.#wokeAt < this.warmupMs;
	}

	connect(line: SerialLine): void {
		this.#line = line;
		this.#powerUp();
	}

	/** Power removed and restored (brown-out): awake, active mode, warm-up again. */
	powerCycle(): void {
		this.#cmdLength = 0;
		this.#powerUp();
	}

	/** Sends raw bytes as if the sensor had (hand-built frames, noise bursts). */
	inject(bytes: ArrayLike<number>): void {
		this.#line?.send(Uint8Array.from(bytes));
	}

	receive(bytes: Uint8Array, line: SerialLine): void {
		this.#line = line;
		const rx = this.stats.rx;
		for (let i = 0; i < bytes.length; i++) {
			const b = bytes[i];
			rx.push(b);
			if (rx.length > 256) rx.shift();
			this.#command(b, line.ticks());
		}
	}

	/** One byte of the command stream: resynchronise on 0x42 0x4D, check the LRC at 7 bytes. */
	#command(b: number, now: number): void {
		const c = this.#cmd;
		if (this.#cmdLength === 0 && b !== 0x42) return void this.stats.noiseBytes++;
		if (this.#cmdLength === 1 && b !== 0x4d) {
			this.stats.noiseBytes++;
			if (b !== 0x42) {
				this.stats.noiseBytes++;
				this.#cmdLength = 0;
			}
			return;
		}
		c[this.#cmdLength++] = b;
		if (this.#cmdLength < 7) return;
		this.#cmdLength = 0;
		if (pms5003Checksum(c, 5) !== ((c[5] << 8) | c[6])) return void this.stats.badCommands++;
		const command = c[2];
		const data = c[4];
		this.stats.commands.push({ command, data, atMs: now });
		if (this.stats.commands.length > 64) this.stats.commands.shift();
		this.#execute(command, data);
	}

	#execute(command: number, data: number): void {
		switch (command) {
			case PMS5003_COMMAND.mode:
				if (data === 0) {
					this.#mode = "passive";
					this.#stopStream();
					this.#emit(pms5003Frame([(command << 8) | data]), false);
				} else if (data === 1 && this.#mode !== "active") {
					this.#mode = "active";
					if (this.#awake) this.#startStream();
				}
				break;
			case PMS5003_COMMAND.read:
				if (data !== 0 || !this.#awake || this.#mode !== "passive") break;
				this.stats.requests++;
				this.#line?.schedule(this.answerDelayMs, () => {
					if (this.#awake) this.#emit(this.#dataFrame(), true);
				});
				break;
			case PMS5003_COMMAND.sleep:
				if (data === 0) {
					this.stats.sleeps++;
					this.#awake = false;
					this.#stopStream();
					this.#emit(pms5003Frame([(command << 8) | data]), false);
				} else if (data === 1 && !this.#awake) {
					this.stats.wakeups++;
					this.#start();
				}
				break;
		}
	}

	#powerUp(): void {
		this.stats.powerUps++;
		this.#mode = "active";
		this.#start();
	}

	/** The fan starts: warm-up begins, and in active mode the frames. */
	#start(): void {
		this.#awake = true;
		this.#wokeAt = this.#now();
		this.#stopStream();
		if (this.#mode === "active") this.#startStream();
	}

	#startStream(): void {
		this.#stopStream();
		const line = this.#line;
		if (!line) return;
		const tick = () => {
			this.#timer = line.schedule(this.periodMs, tick);
			this.#emit(this.#dataFrame(), true);
		};
		this.#timer = line.schedule(this.periodMs, tick);
	}

	#stopStream(): void {
		if (this.#timer !== undefined) this.#line?.cancel(this.#timer);
		this.#timer = undefined;
	}

	/** A data frame for the air now, distorted while the fan spins up. */
	#dataFrame(): Uint8Array {
		if (this.#fault === "stuck" && this.#frozen) return this.#frozen.slice();
		const now = this.#now();
		const air = this.scenario(now);
		let scale = 1;
		const elapsed = now - this.#wokeAt;
		if (elapsed < this.warmupMs) scale = (0.2 + (0.6 * elapsed) / this.warmupMs) * (1 + 0.25 * this.#uniform());
		const jitter = () => 1 + this.noise * this.#uniform();
		// Size classes nest: noise goes on the increments so PM1 ≤ PM2.5 ≤ PM10 holds whenever the scenario's does.
		const pm1 = Math.max(0, air.pm1 * scale * jitter());
		const pm25 = pm1 + (air.pm25 - air.pm1) * scale * jitter();
		const pm10 = pm25 + (air.pm10 - air.pm25) * scale * jitter();
		const atm = [pm1, pm25, pm10].map(word);
		const cf1 = atm.map((v) => word(v <= 30 ? v : 30 + 1.5 * (v - 30)));
		const fine = atm[0];
		const mid = Math.max(0, atm[1] - atm[0]);
		const coarse = Math.max(0, atm[2] - atm[1]);
		// Counts per 0.1 L above 10, 5, 2.5, 1, 0.5, 0.3 µm: cumulative sums of noisy increments.
		const steps = [0.2 * coarse, 0.8 * coarse, 2 * coarse + 0.5 * mid, 6 * mid + fine, 35 * fine + 3 * mid, 110 * fine];
		const counts: number[] = [];
		let total = 0;
		for (const step of steps) {
			total += step * jitter();
			counts.unshift(word(total));
		}
		const frame = pms5003Frame([...cf1, ...atm, ...counts, PMS5003_RESERVED]);
		if (this.#fault === "stuck") this.#frozen = frame.slice();
		return frame;
	}

	/** Sends a frame through the fault. */
	#emit(frame: Uint8Array, data: boolean): void {
		const line = this.#line;
		if (!line) return;
		switch (this.#fault) {
			case "silent":
				return;
			case "checksum":
				frame[frame.length - 1] ^= 0x01;
				break;
			case "garbage":
				for (let i = 0; i < frame.length; i++) frame[i] = this.#random() & 0xff;
				break;
			case "truncated":
				if (data) frame = frame.subarray(0, 6 + (this.#random() % (frame.length - 6)));
				break;
		}
		if (data) this.stats.dataFrames++;
		else this.stats.acks++;
		line.send(frame);
	}

	#now(): number {
		return this.#line?.ticks() ?? 0;
	}

	/** Uniform in [-1, 1]. */
	#uniform(): number {
		return (this.#random() / 0xffffffff) * 2 - 1;
	}

	/** xorshift32: deterministic on every host. */
	#random(): number {
		return (this.#rng = xorshift32(this.#rng));
	}
}

/** A 16-bit data word from a concentration or count. */
function word(x: number): number {
	return Math.min(0xffff, Math.max(0, Math.round(x)));
}
