/*
 * `mac`: the station MAC address, "aa:bb:cc:dd:ee:ff", on Moddable hosts.
 * A binding of its own so firmware/ never imports the specifier "net", which
 * Node tooling (vite, esbuild, import checks) takes for Node's built-in.
 * Moddable's `net` module (modules/network/net) answers Net.get("MAC").
 */
import Net from "net";

export default function mac(): string {
	return Net.get("MAC") ?? "";
}
