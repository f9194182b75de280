/*
 * Role dispatch: one firmware image, the role chosen by config ("role" in the
 * manifest's config section, or `role=…` on the mcconfig command line).
 */
import type { AppFactory } from "../apps/app";
import { createLightPole } from "../apps/light-pole/app";
import { createStopSign } from "../apps/stop-sign/app";
import type { Role } from "../contract/payloads";

export const ROLE_APPS: Record<Role, AppFactory> = {
	"stop-sign": createStopSign,
	"light-pole": createLightPole,
};
