/*
 * The project's `restart` binding: restarts the device (esp_restart on
 * ESP32, through the io provider's System.restart; the host simulator asks
 * its host to reboot the realm). Module-shaped for mcconfig's "paths"
 * mapping (see types/mqtt.d.ts).
 */
/** Restarts the device after logging `reason`. Does not return on hardware. */
export default function restart(reason: string): void;
