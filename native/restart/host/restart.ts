/*
 * `restart` on desktop Moddable hosts (mcconfig -m -p lin/mac/win): the
 * simulator process cannot reset itself, so the request is logged and the
 * app keeps running; use the host simulator (host-sim/) to exercise reboots.
 */
export default function restart(reason: string): void {
	trace(`restart requested (${reason}); not supported on desktop builds\n`);
}
