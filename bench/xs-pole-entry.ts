/*
 * The street for the light-pole bench (tools/bench/pole-bench.ts). Evaluated
 * on the XS machine before the firmware bundle (bench/xs-entry.ts), it leaves
 * the board scenario hook bench/xs-bridge.ts reads: the PoleWorld is built
 * there, inside XS, on the device's own virtual clock, and the generic board
 * (host-sim/boards.ts) plays it onto its models (host-sim/world/street.ts).
 * A bundle of its own so the other benches' bundles stay as they were.
 */
import { PoleWorld, type Scenario } from "../host-sim/world/pole-world";

/** The street scenario, defined by the bench (host-sim/fleet.ts DEFAULT_STREET's rates). */
declare const __STREET__: Scenario;

let world: PoleWorld | undefined;

(globalThis as Record<string, unknown>).__benchBoardScenario = (clock: ConstructorParameters<typeof PoleWorld>[1]) => ({ world: (world = new PoleWorld(__STREET__, clock)) });

(globalThis as Record<string, unknown>).__benchStreet = {
	/** What the street has put on the pins so far (the truth the pole's counts are checked against). */
	ledger: () => world && { ...world.ledger },
};
