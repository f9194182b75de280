/*
 * Shared fixtures for firmware suites (portable: no Node built-ins).
 */

/** Valid mc/config defaults, as manifest.json provides them. */
export const DEFAULTS = {
	role: "stop-sign",
	board: "generic",
	deviceId: "dev-1",
	mqttHost: "127.0.0.1",
	mqttPort: 1883,
	mqttUser: "",
	mqttPass: "",
	keepaliveMs: 60_000,
	backoffMinMs: 1_000,
	backoffMaxMs: 180_000,
	healthMs: 60_000,
	logLevel: "info",
	stopId: "",
	sampleMs: 10_000,
	upDelayMs: 10_000,
	upMaxRecords: 50,
	ackTimeoutMs: 20_000,
	txBytesPerS: 4096,
	logRateMs: 60_000,
} as const;
