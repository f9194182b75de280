/*
 * Curbside native module: reset reason on desktop builds (mcconfig -p lin/mac/win).
 * A desktop process always starts from "power on".
 */
#include "xsmc.h"

void xs_curbside_reset_reason(xsMachine *the)
{
	xsmcSetString(xsResult, "poweron");
}
