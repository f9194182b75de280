/*
 * Boot sequence. Order matters and is chosen so that a fault in a later step
 * can never hide an earlier one:
 *   1. logger (everything after can report);
 *   2. boot counter (before anything that could crash: boot loops show up);
 *   3. reset reason;
 *   4. config: manifest defaults + NVS overrides, validated;
 *   5. identity; 6. MQTT session (birth, LWT, rate limit); 7. cloud link
 *   (outbox and uplink, time sync, commands, remote config and logs);
 *   8. OTA agent and boot-loop guard (a trial boot, or safe mode after
 *   repeated crashes of a confirmed image); 9. role app (its fail-safe
 *   variant in safe mode); 10. health task.
 * A build whose config does not validate halts with one clear line instead of
 * running on guessed values.
 */
import mcConfig from "mc/config";
import Time from "time";
import type { App } from "../apps/app";
import { encodePayload } from "../contract/codec";
import type { Role } from "../contract/payloads";
import { deviceTopic } from "../contract/topics";
import { MqttSession } from "../net/session";
import { burstFor } from "../net/token-bucket";
import restart from "restart";
import { CloudLink } from "./cloud-link";
import { FIRMWARE_VERSION } from "../version";
import { countBoot } from "./boot-count";
import { Config } from "./config";
import { describeError } from "./errors";
import { healthSnapshot } from "./health";
import { deviceIdentity } from "./identity";
import { Logger } from "./logger";
import { ROLE_APPS } from "./roles";
import { Scheduler } from "./scheduler";
import { resetReasonName } from "./reset-reason";
import { OtaAgent } from "../ota/agent";
import { bootStable, guardBoot } from "../ota/boot-guard";
import { OtaStore } from "../ota/state-store";

export interface Runtime {
	readonly state: "running" | "halted";
	readonly deviceId: string;
	readonly role?: Role;
	readonly logger: Logger;
	readonly config?: Config;
	readonly session?: MqttSession;
	readonly cloud?: CloudLink;
	readonly scheduler?: Scheduler;
	readonly app?: App;
	readonly ota?: OtaAgent;
	/** safe mode: network, OTA and logs only */
	readonly safeMode?: boolean;
	/** Stops every task and closes the link (sim shutdown, tests). Idempotent. */
	shutdown(): void;
}

/** Boots the device. Never throws: failures are logged and yield a halted runtime. */
export function boot(sink: (line: string) => void = (line) => trace(line + "\n")): Runtime {
	const logger = new Logger({ ticks: () => Time.ticks, sink });
	const log = logger.tagged("boot");
	let bootCount = 0;
	try {
		bootCount = countBoot();
	} catch (e) {
		log.error(`boot counter unavailable: ${describeError(e)}`);
	}
	const reason = resetReasonName();
	log.info(`Curbside ${FIRMWARE_VERSION}, boot #${bootCount}, reset reason ${reason}`);

	let config: Config;
	try {
		config = new Config(mcConfig);
	} catch (e) {
		log.error(`halted: ${describeError(e)}`);
		return { state: "halted", deviceId: "", logger, shutdown() {} };
	}
	for (const issue of config.issues) log.warn(`config ${issue.key}: ${issue.reason}`);
	logger.level = config.get("logLevel");

	const deviceId = deviceIdentity(config.get("deviceId"));
	const role = config.get("role");
	const scheduler = new Scheduler(logger.tagged("sched"));
	const statusTopic = deviceTopic(deviceId, "status");
	const status = (state: "online" | "offline", withBoot: boolean) =>
		encodePayload("status", {
			v: 1,
			state,
			role,
			fw: FIRMWARE_VERSION,
			board: config.get("board"),
			boot: withBoot ? reason : undefined,
			bootCount: withBoot ? bootCount : undefined,
			t: withBoot ? Date.now() : undefined,
		});
	const session = new MqttSession({
		host: config.get("mqttHost"),
		port: config.get("mqttPort"),
		clientId: deviceId,
		user: config.get("mqttUser"),
		password: config.get("mqttPass"),
		keepaliveMs: config.get("keepaliveMs"),
		backoffMinMs: config.get("backoffMinMs"),
		backoffMaxMs: config.get("backoffMaxMs"),
		will: { topic: statusTopic, payload: status("offline", false) },
		birth: () => ({ topic: statusTopic, payload: status("online", true) }),
		log: logger.tagged("mqtt"),
		rate: { bytesPerS: config.get("txBytesPerS"), burstBytes: burstFor(config.get("txBytesPerS")) },
	});
	log.info(`device ${deviceId}, role ${role}, board ${config.get("board")}`);

	const cloud = new CloudLink({ deviceId, bootCount, config, logger, session });
	const ota = new OtaAgent({
		role,
		board: config.get("board"),
		deviceId,
		config,
		session,
		scheduler,
		log: logger.tagged("ota"),
		record: (kind, data) => cloud.record(kind, data),
		acked: (seq) => cloud.acked(seq),
		selfTest: (required) => app.selfTest?.(required) ?? { state: "pass", detail: "no app checks" },
		workingParts: () => Object.entries(app.parts?.() ?? {}).flatMap(([name, state]) => (state === "ok" ? [name] : [])),
		beforeRestart: () => {
			app.stop();
			session.stop();
		},
		onBusy: (busy) => app.otaBusy?.(busy),
	});
	let guard = { safe: false, entered: false, early: 0 };
	try {
		guard = guardBoot(reason, config.get("safeBoots"), ota.trial);
	} catch (e) {
		log.error(`boot-loop guard unavailable: ${describeError(e)}`);
	}
	if (guard.safe) log.error(`SAFE MODE${guard.entered ? `: ${guard.early} crash resets in a row` : ""}; network, OTA and logs only until an update is applied or safe-mode exit is commanded`);
	if (guard.entered) cloud.record("ota", { id: "-", state: "safe-mode", fw: FIRMWARE_VERSION, reason: `${guard.early} crash resets (${reason}) in a row, each within ${config.get("stableMs")} ms of boot` });
	cloud.commands.register("safe-mode", (args) => {
		if (args.exit !== true) throw new RangeError('safe-mode: the only argument is {"exit": true}');
		OtaStore.setSafe(false);
		OtaStore.setEarly(0);
		scheduler.after("reboot", 1_000, () => {
			app.stop();
			session.stop();
			restart("safe-mode exit");
		});
		return { safe: guard.safe, inMs: 1_000 };
	});
	cloud.commands.register("reboot", (args) => {
		const delayMs = args.delayMs === undefined ? 1_000 : args.delayMs;
		if (typeof delayMs !== "number" || !Number.isInteger(delayMs) || delayMs < 0 || delayMs > 60_000) throw new RangeError("reboot: delayMs must be an integer 0..60000");
		// Later, so the result and the offline status get out first.
		scheduler.after("reboot", delayMs, () => {
			// An orderly stop first: the app closes its partial windows into the outbox, so a planned reboot loses no count.
			app.stop();
			session.stop();
			restart("reboot command");
		});
		return { inMs: delayMs };
	});
	const app = ROLE_APPS[role]({
		deviceId,
		config,
		logger,
		log: logger.tagged(role),
		scheduler,
		session,
		commands: cloud.commands,
		record: (kind, data) => cloud.record(kind, data),
		epoch: () => cloud.clock.now(),
		bootCount,
		safeMode: guard.safe,
	});
	session.onMessage = (topic, payload) => {
		if (!cloud.route(topic, payload) && !ota.route(topic, payload)) app.onMessage?.(topic, payload);
	};

	const publishHealth = () => {
		const h = healthSnapshot(reason, bootCount);
		const ring = cloud.ring?.stats;
		const payload = encodePayload("health", {
			v: 1,
			t: cloud.clock.now() ?? Date.now(),
			...h,
			connects: session.stats.connects,
			logDropped: logger.dropped,
			outboxPending: ring?.pending,
			outboxLost: cloud.uplink?.stats.lost,
			parts: app.parts?.(),
		});
		if (session.publish(deviceTopic(deviceId, "health"), payload, { bulk: true })) log.debug(`health sent (${payload.byteLength} bytes)`);
	};
	const scheduleHealth = () => scheduler.every("health", config.get("healthMs"), publishHealth);
	config.onChange((keys) => {
		if (keys.includes("logLevel")) logger.level = config.get("logLevel");
		if (keys.includes("healthMs")) scheduleHealth();
	});
	session.onUp = () => {
		cloud.onUp();
		ota.onUp();
		publishHealth();
	};
	session.onDown = () => {
		cloud.onDown();
		ota.onDown();
	};

	try {
		app.start();
	} catch (e) {
		log.error(`${role} app failed to start: ${describeError(e)}`);
	}
	try {
		ota.start();
	} catch (e) {
		log.error(`OTA agent failed to start: ${describeError(e)}`);
	}
	session.start();
	scheduleHealth();
	scheduler.after("stable", config.get("stableMs"), () => bootStable());

	let stopped = false;
	return {
		state: "running",
		deviceId,
		role,
		logger,
		config,
		session,
		cloud,
		scheduler,
		app,
		ota,
		safeMode: guard.safe,
		shutdown() {
			if (stopped) return;
			stopped = true;
			scheduler.clear();
			ota.stop();
			try {
				app.stop();
			} finally {
				cloud.stop();
				session.stop();
			}
		},
	};
}
