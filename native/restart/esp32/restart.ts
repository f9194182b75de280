/*
 * `restart` on ESP32: Moddable's io provider (modules/io/system) installs the
 * global `System`, whose restart() calls esp_restart().
 */
declare const System: { restart(): void };

export default function restart(reason: string): void {
	trace(`restart: ${reason}\n`);
	System.restart();
}
