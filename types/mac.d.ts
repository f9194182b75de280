/*
 * The project's `mac` binding (native/mac/mac.ts on Moddable hosts,
 * host-sim/modules/mac.ts in the simulator). Module-shaped for mcconfig's
 * "paths" mapping (see types/mqtt.d.ts).
 */
/** Station MAC as "aa:bb:cc:dd:ee:ff"; empty when the interface has none. */
export default function mac(): string;
