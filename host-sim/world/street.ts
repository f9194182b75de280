/*
 * Puts a PoleWorld onto one booted board: its peripheral models read the
 * world's weather, light, air and presence, and the world's event streams
 * (people, vehicles, parked cars) are played onto the beams and loops as
 * they come due. Faults in the scenario are set on the models at their
 * times. Runs inside the device realm on the board's clock; when the board
 * dies (power cut, reboot) its timers die with it and the next board picks
 * up from the world's "now". Plain TypeScript: also runs in XS.
 */
import type { SimBoard } from "../io/board";
import type { BeamPairModel } from "../models/beam-pair";
import type { LoopDetectorModel } from "../models/loop-detector";
import type { PoleWorld, ScenarioFault } from "./pole-world";

/** The models a light-pole board carries (any may be absent). */
export interface StreetParts {
	beams?: BeamPairModel;
	vehicleLoop?: LoopDetectorModel;
	bayLoop?: LoopDetectorModel;
	/** models with a settable `fault`, by scenario part name */
	faultable: Partial<Record<ScenarioFault["part"], { fault: unknown }>>;
}

/** Fault names a scenario uses for the pin-level parts, mapped to the models' own. */
const PIN_FAULTS: Record<string, Record<string, string>> = {
	people: { blocked: "blocked-a", dead: "dead-a", chatter: "chatter-a" },
	vehicles: { chatter: "chatter", stuck: "stuck", dead: "dead" },
	bay: { chatter: "chatter", stuck: "stuck", dead: "dead" },
};

export function playStreet(world: PoleWorld, board: SimBoard, parts: StreetParts): void {
	// World time w happens `w - world.now()` ms from now on this board.
	const at = (w: number, fn: () => void) => board.schedule(Math.max(0, w - world.now()), fn);

	const people = () => {
		const w = world.pedestrians.next(world.now() + 1);
		if (w === undefined) return;
		at(w, () => {
			const towards = world.towards(w);
			parts.beams!.cross({ atMs: board.ticks(), direction: towards ? "towards" : "away" });
			if (towards) world.ledger.pedestriansTowards++;
			else world.ledger.pedestriansAway++;
			people();
		});
	};
	if (parts.beams) people();

	const vehicles = () => {
		const w = world.vehicles.next(world.now() + 1);
		if (w === undefined) return;
		at(w, () => {
			const now = board.ticks();
			parts.vehicleLoop!.visit({ arriveMs: now, departMs: now + (world.scenario.vehicles?.dwellMs ?? 400) });
			world.ledger.vehicles++;
			vehicles();
		});
	};
	if (parts.vehicleLoop) vehicles();

	// One bay: a car arriving while it is taken parks elsewhere. A car parked across a reboot is still there.
	const parking = () => {
		const w = world.parking.next(world.now() + 1);
		if (w === undefined) return;
		at(w, () => {
			if (w >= world.bayFreeAt) {
				world.bayFreeAt = w + world.stayMs(w);
				const now = board.ticks();
				parts.bayLoop!.visit({ arriveMs: now, departMs: now + (world.bayFreeAt - w) });
				world.ledger.bayArrivals++;
			}
			parking();
		});
	};
	if (parts.bayLoop) {
		const left = world.bayFreeAt - world.now();
		if (left > 0) parts.bayLoop.visit({ arriveMs: board.ticks(), departMs: board.ticks() + left });
		parking();
	}

	const applyFaults = () => {
		for (const [part, model] of Object.entries(parts.faultable) as [ScenarioFault["part"], { fault: unknown }][]) {
			const f = world.fault(part);
			model.fault = f === undefined ? undefined : (PIN_FAULTS[part]?.[f] ?? f);
		}
	};
	applyFaults();
	for (const edge of world.faultEdges()) if (edge > world.now()) at(edge, applyFaults);
}
