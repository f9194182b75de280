/*
 * An embedded MQTT 3.1.1 broker (aedes) on 127.0.0.1 for the one-command demo
 * and for tests. aedes is pinned to 0.51: 1.2.0 drops a retained PUBLISH that
 * arrives in the same socket chunk as a following PUBLISH (a device's birth
 * message followed by its first health record). `restart()` drops every client and its retained state, as a
 * crashed broker with no persistence would; devices must recover on their own.
 */
import { createServer, type Server, type Socket } from "node:net";
import Aedes from "aedes";

export interface EmbeddedBroker {
	readonly port: number;
	readonly url: string;
	/** Number of connected clients. */
	clients(): number;
	/** Stops and starts the broker on the same port (retained messages are lost). */
	restart(downMs?: number): Promise<void>;
	close(): Promise<void>;
}

async function listen(server: Server, port: number): Promise<number> {
	return new Promise((resolve, reject) => {
		server.once("error", reject);
		server.listen(port, "127.0.0.1", () => {
			server.off("error", reject);
			resolve((server.address() as { port: number }).port);
		});
	});
}

/** Starts aedes on 127.0.0.1:`port` (0 = any free port). */
export async function startBroker(port = 0): Promise<EmbeddedBroker> {
	let aedes = new Aedes();
	const sockets = new Set<Socket>();
	const makeServer = () =>
		createServer((socket) => {
			sockets.add(socket);
			socket.on("close", () => sockets.delete(socket));
			aedes.handle(socket);
		});
	let server = makeServer();
	const bound = await listen(server, port);
	const stop = async () => {
		for (const s of sockets) s.destroy();
		await new Promise<void>((r) => server.close(() => r()));
		await new Promise<void>((r) => aedes.close(() => r()));
	};
	return {
		port: bound,
		url: `mqtt://127.0.0.1:${bound}`,
		clients: () => aedes.connectedClients,
		async restart(downMs = 0) {
			await stop();
			if (downMs) await new Promise((r) => setTimeout(r, downMs));
			aedes = new Aedes();
			server = makeServer();
			await listen(server, bound);
		},
		close: stop,
	};
}
