/*
 * Bytes on the wire per telemetry record, on a real broker (embedded aedes on
 * 127.0.0.1), in one run:
 *   (a) the real firmware in the host simulator: a light-pole device with one
 *       part (SHT3x) and 1 s windows records an AirQualityObserved a second; the outbox sends CBOR batches of up
 *       to 50 at QoS 0 and the ops acker acks them end to end. Bytes come from
 *       the device's own socket counters (SimDevice.counters).
 *   (b) the naive baseline: an mqtt.js client (MQTT 3.1.1) publishing each of
 *       the same records, as the acker stored them, as one JSON message at
 *       QoS 1 on a topic of the same length; bytes from its socket, PUBACKs
 *       included.
 * What is not telemetry is separated with an idle twin: a second device with
 * the same config and an id of the same length, booted alongside, whose app is
 * stopped before its first sample. Its settled socket bytes (CONNECT/CONNACK,
 * birth, reported config, SUBSCRIBE/SUBACK, the unsynced device's time probe
 * and its ack) are subtracted from the telemetry device's. A sniffer client
 * sees every up batch and ack on the broker; the MQTT framing of exactly those
 * messages is the expected telemetry traffic, and `unexplained` is what the
 * counters show beyond it (0 when nothing else, e.g. a keepalive ping, slipped in).
 *
 * keepaliveMs is the config maximum on both devices: device time runs 50× real
 * time, so the default 60 s keepalive would ping every 1.2 real seconds, 50×
 * a real device's cadence; pings are link upkeep, not telemetry.
 * Waiting is by polling with generous deadlines; no figure depends on timing.
 */
import { connect as tcpConnect, type Socket } from "node:net";
import mqtt, { MqttClient } from "mqtt";
import { decodePayload } from "../../firmware/contract/codec";
import { deviceTopic } from "../../firmware/contract/topics";
import { RealClock } from "../../host-sim/bridge/real-clock";
import { startBroker, type EmbeddedBroker } from "../../host-sim/broker";
import type { SimDevice } from "../../host-sim/device";
import { Fleet } from "../../host-sim/fleet";
import { Acker, type StoredRecord } from "../ops/acker";

const SPEED = 50;
const RECORDS = 500;
/** The brief's device config, plus the keepalive note above. */
const CONFIG = { sampleMs: 1_000, windowMs: 1_000, parts: "sht3x", upDelayMs: 30_000, upMaxRecords: 50, healthMs: 3_600_000, keepaliveMs: 600_000 };
/** Same length, so topics, client ids and birth payloads are the same size. */
const DEVICE = "bench-pole-t";
const TWIN = "bench-pole-i";

export interface WireSide {
	/** bytes the client wrote / read on its socket for the telemetry */
	upBytes: number;
	downBytes: number;
	perRecord: { up: number; down: number; total: number };
	/** payload bytes (CBOR batches, or JSON messages) */
	payloadBytes: number;
	payloadBytesPerRecord: number;
	/** socket bytes minus the MQTT framing of exactly the telemetry messages seen on the broker */
	unexplained: { up: number; down: number };
}

export interface WireFigures {
	records: number;
	broker: string;
	device: WireSide & {
		config: Record<string, number | string>;
		batches: number;
		recordsSent: number;
		ackTimeouts: number;
		duplicatesStored: number;
		/** the idle twin's settled socket bytes: connection set-up, birth, config report, subscriptions, time probe */
		nonTelemetry: { upBytes: number; downBytes: number };
		/** the telemetry device's whole socket traffic before subtraction */
		socket: { upBytes: number; downBytes: number };
	};
	naive: WireSide & { qos: 1; topicBytes: number; connectBytes: { up: number; down: number } };
	/** naive ÷ device */
	ratio: { wireTotal: number; wireUp: number; payload: number };
}

/** Size of an MQTT 3.1.1 PUBLISH packet (§3.3): fixed header, remaining length, topic, packet id at QoS > 0, payload. */
export function publishBytes(topicBytes: number, payloadBytes: number, qos: 0 | 1): number {
	const remaining = 2 + topicBytes + (qos ? 2 : 0) + payloadBytes;
	let lengthBytes = 1;
	for (let n = remaining; n >= 128; n = Math.floor(n / 128)) lengthBytes++;
	return 1 + lengthBytes + remaining;
}
export const PUBACK_BYTES = 4;

export async function until(condition: () => boolean, what: string, deadlineMs = 120_000): Promise<void> {
	const end = Date.now() + deadlineMs;
	while (!condition()) {
		if (Date.now() > end) throw new Error(`wire bench: timed out waiting for ${what}`);
		await new Promise((r) => setTimeout(r, 20));
	}
}

/** Waits until a device's socket counters stop moving (every queued write and read accounted). */
export async function settled(dev: SimDevice): Promise<{ upBytes: number; downBytes: number }> {
	let last = "";
	let still = 0;
	await until(() => {
		const now = `${dev.counters.networkBytesWritten}/${dev.counters.networkBytesRead}`;
		still = now === last ? still + 1 : 0;
		last = now;
		return still >= 10; // 10 polls ≈ 200 ms real, 10 s device time
	}, `${dev.id}: socket counters to settle`);
	return { upBytes: dev.counters.networkBytesWritten, downBytes: dev.counters.networkBytesRead };
}

export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

export async function benchWire(): Promise<WireFigures> {
	let broker: EmbeddedBroker | undefined;
	let fleet: Fleet | undefined;
	let sniffer: MqttClient | undefined;
	let naive: MqttClient | undefined;
	const clock = new RealClock({ speed: SPEED });
	const acker = new Acker({ clientId: `bench-acker-${process.pid}` });
	try {
		broker = await startBroker(0); // 127.0.0.1, a free port chosen by listening on :0
		await acker.connect(broker.url);

		// Every up batch and ack of the two devices, as the broker delivers them.
		const seen = new Map<string, { up: number; down: number; payload: number; batches: number }>();
		for (const id of [DEVICE, TWIN]) seen.set(id, { up: 0, down: 0, payload: 0, batches: 0 });
		sniffer = mqtt.connect(broker.url, { clientId: `bench-sniffer-${process.pid}`, protocolVersion: 4, reconnectPeriod: 0 });
		sniffer.on("message", (topic, payload) => {
			for (const [id, s] of seen) {
				if (topic === deviceTopic(id, "up")) {
					s.up += publishBytes(Buffer.byteLength(topic), payload.length, 0);
					if (decodePayload("up", payload).r.length) {
						s.payload += payload.length;
						s.batches++;
					}
				} else if (topic === deviceTopic(id, "ack")) s.down += publishBytes(Buffer.byteLength(topic), payload.length, 0);
			}
		});
		await new Promise<void>((resolve, reject) => {
			sniffer!.once("connect", () => resolve());
			sniffer!.once("error", reject);
		});
		await sniffer.subscribeAsync([deviceTopic(DEVICE, "up"), deviceTopic(DEVICE, "ack"), deviceTopic(TWIN, "up"), deviceTopic(TWIN, "ack")], { qos: 0 });

		fleet = new Fleet({ broker: { host: "127.0.0.1", port: broker.port }, clock });
		const dev = await fleet.add({ id: DEVICE, role: "light-pole", board: "generic", config: CONFIG });
		// The twin fits no parts: it never records (an orderly stop would close a window; with no parts there is none).
		const twin = await fleet.add({ id: TWIN, role: "light-pole", board: "generic", config: { ...CONFIG, parts: "" } });
		dev.boot();
		twin.boot();

		const cloud = (d: SimDevice) => d.runtime!.cloud!;
		// The twin: connected, time probe acked, then nothing moves.
		await until(() => !!twin.runtime?.session?.connected && (cloud(twin).uplink?.stats.acks ?? 0) >= 1, `${TWIN}: connected and probe acked`);
		const idle = await settled(twin);

		await until(() => (cloud(dev).ring?.stats.nextSeq ?? 1) - 1 >= RECORDS, `${DEVICE}: ${RECORDS} records`);
		dev.runtime!.app!.stop();
		await until(() => cloud(dev).ring?.stats.pending === 0, `${DEVICE}: outbox drained`);
		const socket = await settled(dev);
		const uplink = { ...cloud(dev).uplink!.stats };
		const appended = cloud(dev).ring!.stats.nextSeq - 1;
		if (cloud(twin).ring!.stats.nextSeq !== 1) throw new Error(`wire bench: the idle twin recorded ${cloud(twin).ring!.stats.nextSeq - 1} record(s)`);

		const stored: StoredRecord[] = acker.records.filter((r) => r.device === DEVICE).sort((a, b) => a.seq - b.seq);
		const ledger = acker.ledger(DEVICE);
		if (stored.length !== appended || stored.some((r) => r.kind !== "AirQualityObserved"))
			throw new Error(`wire bench: ${appended} records appended, ${stored.length} stored (${new Set(stored.map((r) => r.kind)).size} kinds)`);
		const records = stored.length;
		const upBytes = socket.upBytes - idle.upBytes;
		const downBytes = socket.downBytes - idle.downBytes;
		const s = seen.get(DEVICE)!;
		const t = seen.get(TWIN)!;

		// (b) The naive device: one JSON message per record, QoS 1, same topic length as .../up.
		const topic = deviceTopic(DEVICE, "up").replace(/\/up$/, "/wo");
		let tcp: Socket | undefined;
		naive = new MqttClient(
			() => {
				tcp = tcpConnect(broker!.port, "127.0.0.1");
				tcp.setNoDelay(true);
				return tcp;
			},
			{ clientId: `bench-naive-${process.pid}`, protocolVersion: 4, keepalive: 60, reconnectPeriod: 0, clean: true },
		);
		await new Promise<void>((resolve, reject) => {
			naive!.once("connect", () => resolve());
			naive!.once("error", reject);
		});
		const connectBytes = { up: tcp!.bytesWritten, down: tcp!.bytesRead };
		let jsonBytes = 0;
		let expectedUp = 0;
		for (const r of stored) {
			const json = JSON.stringify({ device: r.device, seq: r.seq, t: r.t ?? r.receivedAt, type: r.kind, temperature: r.data.temperature, relativeHumidity: r.data.relativeHumidity });
			const bytes = Buffer.from(json);
			jsonBytes += bytes.length;
			expectedUp += publishBytes(Buffer.byteLength(topic), bytes.length, 1);
			await naive.publishAsync(topic, bytes, { qos: 1 }); // resolves on PUBACK
		}
		const naiveUp = tcp!.bytesWritten - connectBytes.up;
		const naiveDown = tcp!.bytesRead - connectBytes.down;

		const per = (n: number) => round(n / records);
		const deviceTotal = upBytes + downBytes;
		return {
			records,
			broker: "aedes (embedded, 127.0.0.1)",
			device: {
				config: CONFIG,
				batches: s.batches, // batches with records, as the broker delivered them (resends included)
				recordsSent: uplink.recordsSent,
				ackTimeouts: uplink.ackTimeouts,
				duplicatesStored: ledger.duplicates,
				socket,
				nonTelemetry: idle,
				upBytes,
				downBytes,
				perRecord: { up: per(upBytes), down: per(downBytes), total: per(deviceTotal) },
				payloadBytes: s.payload,
				payloadBytesPerRecord: per(s.payload),
				unexplained: { up: upBytes - (s.up - t.up), down: downBytes - (s.down - t.down) },
			},
			naive: {
				qos: 1,
				topicBytes: Buffer.byteLength(topic),
				connectBytes,
				upBytes: naiveUp,
				downBytes: naiveDown,
				perRecord: { up: per(naiveUp), down: per(naiveDown), total: per(naiveUp + naiveDown) },
				payloadBytes: jsonBytes,
				payloadBytesPerRecord: per(jsonBytes),
				unexplained: { up: naiveUp - expectedUp, down: naiveDown - PUBACK_BYTES * records },
			},
			ratio: { wireTotal: round((naiveUp + naiveDown) / deviceTotal, 2), wireUp: round(naiveUp / upBytes, 2), payload: round(jsonBytes / s.payload, 2) },
		};
	} finally {
		fleet?.shutdown();
		clock.cancelAll();
		await naive?.endAsync(true);
		await sniffer?.endAsync(true);
		await acker.close();
		await broker?.close();
	}
}
