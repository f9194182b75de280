/*
 * Host-sim `restart`: asks the host to power-cycle this device's realm with
 * reset reason "sw", as esp_restart() does on the board.
 */
import { bridge } from "../bridge/types";

export default function restart(reason: string): void {
	bridge().restart(reason);
}
