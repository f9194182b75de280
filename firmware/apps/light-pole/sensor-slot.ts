/*
 * One fitted part of a light pole, supervised: it is opened, sampled, marked
 * failed when it misbehaves, and re-opened with exponential backoff, while
 * the rest of the pole keeps running (ARCHITECTURE §2; a pole must never stop
 * counting because its particulate sensor died).
 *
 * A slot turns driver errors into the contract's sensor states:
 *   - the first error after working (or a failed open) is one
 *     "sensor.fault" record with a fault class and the driver's message; the
 *     repeats while it stays failed are only counted, so a dead part cannot
 *     flood the outbox;
 *   - the first good reading after a failure is one "sensor.ok" record with
 *     the downtime;
 *   - a reading is accepted only if every number in it is finite: a driver
 *     bug that leaks a NaN marks the part failed ("garbage") instead of
 *     reaching the wire.
 * Pure logic over an injected clock and recorder: runs on XS and Node.
 */
import { Backoff } from "../../net/backoff";
import { describeError, clip } from "../../runtime/errors";
import type { SensorFault, SensorName } from "../../contract/telemetry";

export type SlotState = "starting" | "ok" | "failed" | "off";

export interface SlotHost {
	/** ms, monotonic */
	ticks(): number;
	/** Persists a sensor event record (outbox). */
	record(kind: "sensor.fault" | "sensor.ok", data: Record<string, unknown>): void;
	/** Schedules `fn` once after `ms` under `name` (replaces a pending one). */
	after(name: string, ms: number, fn: () => void): void;
	cancel(name: string): void;
	log: { info(m: string): void; warn(m: string): void; error(m: string): void };
}

export interface SlotOptions<D> {
	name: SensorName;
	/** Opens the driver. Throws when the part is absent or broken. */
	open: (report: (e: unknown) => void) => D;
	/** Parks and releases the driver. */
	close: (driver: D) => void;
	/**
	 * A re-opened part counts as working again only after this long without
	 * an error, ms. 0 (default) for parts that prove themselves with a
	 * reading; event parts (beams, loops) have no reading to show, and a
	 * blocked beam or a flapping loop would otherwise "recover" on every
	 * re-open and raise a new fault a minute later.
	 */
	probationMs?: number;
	/** @default 5_000 first retry, doubling to 300_000 */
	retryMinMs?: number;
	retryMaxMs?: number;
	random?: () => number;
}

/** Sorts a driver message into a contract fault class. */
export function faultOf(e: unknown): SensorFault {
	const m = describeError(e).toLowerCase();
	if (/crc|checksum/.test(m)) return "checksum";
	if (/stuck|identical/.test(m)) return "stuck";
	if (/range|implausible|saturat/.test(m)) return "range";
	if (/nack|not responding|no answer|not found|timeout|no frame|silent/.test(m)) return "no-answer";
	if (/flapping/.test(m)) return "flapping";
	if (/garbage|bad frame|mismatch|invalid|not a number/.test(m)) return "garbage";
	return "other";
}

export class SensorSlot<D> {
	readonly name: SensorName;
	state: SlotState = "starting";
	/** errors seen since boot (every one, including repeats while failed) */
	errors = 0;
	/** fault events recorded since boot */
	faults = 0;
	lastFault: SensorFault | undefined;
	#o: SlotOptions<D>;
	#host: SlotHost;
	#driver: D | undefined;
	#retry: Backoff;
	#failedAt = 0;
	#openedAt = 0;

	constructor(options: SlotOptions<D>, host: SlotHost) {
		this.#o = options;
		this.name = options.name;
		this.#host = host;
		this.#retry = new Backoff(options.retryMinMs ?? 5_000, options.retryMaxMs ?? 300_000, options.random);
	}

	/** The open driver, or undefined while failed or closed. */
	get driver(): D | undefined {
		return this.#driver;
	}

	get working(): boolean {
		return this.state === "ok" || this.state === "starting";
	}

	/** Opens the part; on failure marks it failed and schedules a retry. */
	start(): void {
		if (this.state === "off") this.state = "starting";
		this.#open();
	}

	/**
	 * Runs one sampling step with the driver and checks the reading.
	 * @returns the reading, or undefined when the part gave none (not ready, failed, or closed)
	 */
	sample<T>(read: (driver: D) => T | undefined): T | undefined {
		const driver = this.#driver;
		if (!driver) return undefined;
		let value: T | undefined;
		try {
			value = read(driver);
		} catch (e) {
			this.fail(e);
			return undefined;
		}
		if (value === undefined) return undefined;
		const bad = nonFinite(value);
		if (bad) {
			this.fail(new Error(`${this.name}: garbage reading (${bad} is not a number)`));
			return undefined;
		}
		this.ok();
		return value;
	}

	/** A reading came in through a driver callback: the part works. */
	ok(): void {
		if (this.state === "failed" && this.#host.ticks() - this.#openedAt < (this.#o.probationMs ?? 0)) return;
		if (this.state === "failed") {
			const downS = Math.round((this.#host.ticks() - this.#failedAt) / 1000);
			this.#host.log.info(`${this.name} works again after ${downS} s`);
			this.#host.record("sensor.ok", { sensor: this.name, downS });
		}
		if (this.state !== "off") this.state = "ok";
		this.#retry.reset();
	}

	/**
	 * The part misbehaved: the first time, record a fault event, close the
	 * driver and retry later; repeats while failed are only counted.
	 */
	fail(e: unknown): void {
		this.errors++;
		if (this.state === "off") return;
		const first = this.state !== "failed";
		if (first) {
			this.state = "failed";
			this.#failedAt = this.#host.ticks();
			this.faults++;
			this.lastFault = faultOf(e);
			const message = clip(e instanceof Error ? e.message : String(e), 120);
			this.#host.log.error(`${this.name} failed (${this.lastFault}): ${message}`);
			this.#host.record("sensor.fault", { sensor: this.name, fault: this.lastFault, message });
		}
		this.#closeDriver();
		this.#scheduleRetry();
	}

	/** Parks the part; no retries, no events. Safe to call twice. */
	stop(): void {
		this.state = "off";
		this.#host.cancel(`open-${this.name}`);
		this.#closeDriver();
	}

	#open(): void {
		if (this.#driver || this.state === "off") return;
		try {
			this.#driver = this.#o.open((e) => this.fail(e));
			this.#openedAt = this.#host.ticks();
			if (this.state === "failed") this.#host.log.info(`${this.name} re-opened`);
		} catch (e) {
			this.#driver = undefined;
			this.fail(e);
		}
	}

	#scheduleRetry(): void {
		const delay = this.#retry.next();
		this.#host.after(`open-${this.name}`, delay, () => this.#open());
	}

	#closeDriver(): void {
		const d = this.#driver;
		this.#driver = undefined;
		if (!d) return;
		try {
			this.#o.close(d);
		} catch {
			// a part that fails to park is already marked failed
		}
	}
}

/** Path of the first non-finite number in a reading, or undefined. */
function nonFinite(value: unknown, path = "value"): string | undefined {
	if (typeof value === "number") return Number.isFinite(value) ? undefined : path;
	if (value && typeof value === "object") {
		for (const key of Object.keys(value)) {
			const bad = nonFinite((value as Record<string, unknown>)[key], `${path}.${key}`);
			if (bad) return bad;
		}
	}
	return undefined;
}
