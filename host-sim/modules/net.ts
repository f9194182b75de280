/*
 * Host-sim `net`: Moddable's Net.get for the few properties firmware reads.
 */
import { bridge } from "../bridge/types";

const Net = {
	get(property: string): string | undefined {
		const b = bridge();
		switch (property) {
			case "MAC":
				return b.net.mac;
			case "IP":
				return b.net.up() ? "127.0.0.1" : undefined;
			case "SSID":
				return b.net.up() ? "curbside-sim" : undefined;
			default:
				return undefined;
		}
	},
};

export default Net;
